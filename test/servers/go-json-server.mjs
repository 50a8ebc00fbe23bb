#!/usr/bin/env node
/**
 * Test backend that reads requests as a Go MCP server built on encoding/json (v1) does, e.g. the
 * Containarium server's internal/mcp/server.go, which decodes each line into
 * `struct{JSONRPC, ID, Method, Params}` and a tools/call's params into `struct{Name, Arguments}`
 * (and the go-sdk before its fix for GHSA-wvj2-96wp-fq3f): a member matches a struct field by its
 * tag exactly OR case-insensitively (Go's fold, in which U+017F 'ſ' is 's' and U+212A 'K' is 'k'),
 * and the last member that matches wins. Arguments stay a map (exact names), as Containarium's are.
 * Every tools/call it runs is recorded (MCP_RECORD_FILE, see recording.mjs).
 *   node test/servers/go-json-server.mjs tool_a tool_b ...
 * With `--schemas FILE` (a JSON object: tool name -> inputSchema) it lists those tools with those
 * schemas and decodes each call's arguments into a struct, as a Go tool handler does that binds
 * arguments with encoding/json (mcp-go's CallToolRequest.BindArguments; the go-sdk's typed handlers
 * before GHSA-wvj2-96wp-fq3f): each property the schema declares is a field tagged with its name,
 * filled from the last member whose name matches it exactly or by Go's fold; members matching no
 * field are dropped; a declared property with `properties` (or an array whose `items` have them)
 * is a nested struct, decoded the same way; one with `additionalProperties` (or patternProperties)
 * describing a struct is a map of such structs (Go's map[string]T: keys as sent, each value decoded
 * into T). The fields are read through local `$ref`s and
 * allOf/anyOf/oneOf too (as Go schema generators describe nested and embedded structs). It records
 * the struct it ran with.
 *   node test/servers/go-json-server.mjs --schemas FILE
 * It also answers completion/complete, decoding params into `struct{Ref{Type, Name, URI}, Argument{Name,
 * Value}}` the same way (the go-sdk's CompleteParams before its fix), records what it completed
 * ({kind: 'completion', ref, argument}) and answers with the ref it read.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { record } from './recording.mjs';

const schemas = process.argv[2] === '--schemas' ? JSON.parse(readFileSync(process.argv[3], 'utf8')) : undefined;
const toolNames = schemas === undefined ? process.argv.slice(2) : Object.keys(schemas);

/** encoding/json's foldName: ASCII upper case; other runes ToUpper(ToLower(r)). */
function goFold(name) {
  let out = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0);
    if (cp < 0x80) out += ch.toUpperCase();
    else {
      // Go's simple mappings: U+0130 lowers to 'i'; an upper case of more than one character is not one.
      const lower = ch === '\u0130' ? 'i' : ch.toLowerCase();
      const upper = lower.toUpperCase();
      out += [...upper].length === 1 ? upper : lower;
    }
  }
  return out;
}

/** The value encoding/json puts in the struct field tagged `tag`: the last member matching it. */
function goField(obj, tag) {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  let value;
  const want = goFold(tag);
  for (const [k, v] of Object.entries(obj)) if (k === tag || goFold(k) === want) value = v;
  return value;
}

/** The schema a local $ref ("#", "#/$defs/X") points at in `root`, or undefined. */
function resolve(root, ref) {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let at = root;
  for (const t of ref.slice(2).split('/')) at = at?.[decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~')];
  return at;
}

/**
 * The fields of the struct `schemas` describe (tag -> the schemas declaring it) and their items:
 * `properties` through local $refs and allOf/anyOf/oneOf, as a Go schema generator writes nested and
 * embedded structs (each schema once: a $ref cycle adds nothing).
 */
function fields(schemas, root) {
  const props = new Map();
  const items = [];
  const additional = [];
  const seen = new Set();
  const visit = (s) => {
    if (typeof s !== 'object' || s === null || seen.has(s)) return;
    seen.add(s);
    if (typeof s.properties === 'object' && s.properties !== null) {
      for (const [tag, sub] of Object.entries(s.properties)) props.set(tag, [...(props.get(tag) ?? []), sub]);
    }
    if (typeof s.items === 'object' && s.items !== null) items.push(s.items);
    if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) additional.push(s.additionalProperties);
    if (typeof s.patternProperties === 'object' && s.patternProperties !== null) additional.push(...Object.values(s.patternProperties));
    if (typeof s.$ref === 'string') visit(resolve(root, s.$ref));
    for (const k of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[k])) s[k].forEach(visit);
  };
  schemas.forEach(visit);
  return { props, items, additional };
}

/** The struct encoding/json fills from `value` for the schemas `schemas` (of the tool's `root`) when they declare properties. */
function goStruct(value, schemas, root) {
  const { props, additional } = fields(schemas, root);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  // a map of structs: the keys as sent, each value decoded into the struct
  if (props.size === 0 && additional.length > 0 && fields(additional, root).props.size > 0) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, goStruct(v, additional, root)]));
  }
  if (props.size === 0) return value;
  const out = {};
  for (const [tag, subs] of props) {
    const v = goField(value, tag);
    if (v === undefined) continue;
    const sub = fields(subs, root);
    if (Array.isArray(v) && sub.props.size === 0 && sub.items.length > 0) out[tag] = v.map((item) => goStruct(item, sub.items, root));
    else out[tag] = goStruct(v, subs, root);
  }
  return out;
}

const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const id = goField(msg, 'id');
  const method = goField(msg, 'method');
  const params = goField(msg, 'params');
  if (id === undefined || id === null) return; // a notification
  switch (method) {
    case 'initialize':
      return send({
        jsonrpc: '2.0',
        id,
        result: { protocolVersion: '2025-06-18', capabilities: { tools: {}, completions: {} }, serverInfo: { name: 'go-json-server', version: '1.0.0' } },
      });
    case 'tools/list':
      return send({ jsonrpc: '2.0', id, result: { tools: toolNames.map((name) => ({ name, inputSchema: schemas?.[name] ?? { type: 'object' } })) } });
    case 'tools/call': {
      const name = goField(params, 'name');
      const raw = goField(params, 'arguments');
      const args = schemas === undefined ? raw : goStruct(raw, [schemas[name]], schemas[name]);
      if (!toolNames.includes(name)) return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `Tool '${name}' not found` } });
      record({ kind: 'tool', name, arguments: args });
      return send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `${name} ran with ${JSON.stringify(args)}` }] } });
    }
    case 'completion/complete': {
      const rawRef = goField(params, 'ref');
      const rawArgument = goField(params, 'argument');
      const ref = { type: goField(rawRef, 'type'), name: goField(rawRef, 'name'), uri: goField(rawRef, 'uri') };
      const argument = { name: goField(rawArgument, 'name'), value: goField(rawArgument, 'value') };
      record({ kind: 'completion', ref, argument });
      return send({ jsonrpc: '2.0', id, result: { completion: { values: [String(ref.uri ?? ref.name)], hasMore: false } } });
    }
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Unknown method: ${method}` } });
  }
});
