/**
 * Member names that differ only in case from the ones mcp-warden reads. Go's encoding/json (v1)
 * matches an object's members to struct fields by tag exactly or case-insensitively (its fold also
 * reads U+017F 'ſ' as 's' and U+212A 'K' as 'k'), the last match winning: a Go MCP server that
 * decodes requests with it (Containarium's; the go-sdk before GHSA-wvj2-96wp-fq3f) reads
 * `{"method":"tools/list","Method":"tools/call","Params":{...}}` as the tools/call, and a
 * tools/call's `"Name"`/`"Arguments"` in place of the name and arguments the policy judged. So a
 * client message is refused when:
 *   - an object at any depth has two members whose names fold alike (`name` and `NAME`);
 *   - a top-level member folds like jsonrpc, id, method, params, result or error but is spelled
 *     otherwise (`Params` alone);
 *   - a member of params folds like a member MCP defines there (name, arguments, uri, _meta, ...)
 *     but is spelled otherwise (`Arguments` alone: the policy saw no arguments);
 *   - a member of completion/complete's `ref` or `argument` folds like one MCP defines there
 *     (type, name, uri; name, value) but is spelled otherwise (`"ref": {"URI": ...}` alone: the
 *     policy saw no resource, and a Go backend completed for the one it would deny).
 * The byte path's scan declines such lines (distinct-keys.ts, strict), so they come here parsed.
 */

const ENVELOPE = ['jsonrpc', 'id', 'method', 'params', 'result', 'error'];
const PARAMS = ['name', 'arguments', 'uri', '_meta', 'cursor', 'ref', 'argument', 'level', 'taskId', 'task', 'protocolVersion', 'capabilities', 'clientInfo'];

/**
 * encoding/json's foldName: ASCII letters in upper case, other characters ToUpper(ToLower(c)) by
 * Go's simple (one character) mappings, read off JavaScript's full ones: U+0130 'İ' lowers to 'i'
 * (JavaScript: 'i' and U+0307); a lower case whose upper case is more than one character ('ß',
 * 'ᾀ'...) stands for its class (Go: ẞ and ß fold alike, ᾈ and ᾀ too). Two names fold alike here
 * when they do in Go.
 */
export function goFold(name: string): string {
  let out = '';
  for (const ch of name) {
    if (ch.charCodeAt(0) < 0x80) out += ch.toUpperCase();
    else {
      const lower = ch === '\u0130' ? 'i' : ch.toLowerCase();
      const upper = lower.toUpperCase();
      out += upper.length === 1 || (upper.length === 2 && upper.codePointAt(0)! > 0xffff) ? upper : lower;
    }
  }
  return out;
}

/** Whether `name` can fold like another name: it has an ASCII capital or a non-ASCII character. */
export function foldable(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c >= 0x80) return true;
  }
  return false;
}

/** The members MCP defines in objects of params the proxy reads (completion/complete's ref and argument). */
const NESTED: Record<string, string[]> = { ref: ['type', 'name', 'uri'], argument: ['name', 'value'] };

const ENVELOPE_FOLDS = new Map(ENVELOPE.map((n) => [goFold(n), n]));
const PARAMS_FOLDS = new Map(PARAMS.map((n) => [goFold(n), n]));
const NESTED_FOLDS = new Map(Object.entries(NESTED).map(([k, names]) => [k, new Map(names.map((n) => [goFold(n), n]))]));

function problem(name: string, other: string): string {
  return `Invalid Request: member '${name}' differs from '${other}' only in case (a backend may read it as '${other}'): refused`;
}

/** A known member `name` is a variant of, when it is not that member itself. */
function variantOf(name: string, known: Map<string, string>): string | undefined {
  if (!foldable(name)) return undefined;
  const k = known.get(goFold(name));
  return k !== undefined && k !== name ? k : undefined;
}

/** Two members of `obj` whose names fold alike, at any depth (bounded: the message's nesting was checked). */
function siblingsProblem(value: unknown, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null || depth > 256) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const p = siblingsProblem(item, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  let folds: Map<string, string> | undefined;
  let any = false;
  for (const key in record) {
    if (foldable(key)) {
      any = true;
      break;
    }
  }
  if (any) {
    folds = new Map();
    for (const key in record) {
      const f = goFold(key);
      const other = folds.get(f);
      if (other !== undefined) return problem(key, other);
      folds.set(f, key);
    }
  }
  for (const key in record) {
    const p = siblingsProblem(record[key], depth + 1);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** The reason to refuse a client message for a member name differing only in case, or undefined. */
export function caseVariantProblem(msg: Record<string, unknown>): string | undefined {
  for (const key in msg) {
    const known = variantOf(key, ENVELOPE_FOLDS);
    if (known !== undefined) return problem(key, known);
  }
  const params = msg.params;
  if (typeof params === 'object' && params !== null && !Array.isArray(params)) {
    for (const key in params) {
      const known = variantOf(key, PARAMS_FOLDS);
      if (known !== undefined) return problem(key, known);
      if (key !== 'ref' && key !== 'argument') continue;
      const inner = (params as Record<string, unknown>)[key];
      const folds = NESTED_FOLDS.get(key)!;
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) continue;
      for (const name in inner) {
        const like = variantOf(name, folds);
        if (like !== undefined) return problem(name, like);
      }
    }
  }
  return siblingsProblem(msg, 0);
}
