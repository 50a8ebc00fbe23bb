/**
 * Names and addresses across several backends behind one endpoint.
 *
 * Tools, prompts and resource templates are shown as `<prefix><separator><name>` when more than one
 * backend is configured (prefix: the backend's `prefix`, else its name); with one backend, names are
 * unchanged unless a prefix is configured, so `wrap` and single-backend `serve` are transparent.
 *
 * Resource URIs are shown unchanged and routed to the backend that listed them (or gave them in an
 * answer: catalog.ts, resource-links.ts). When a second backend lists or gives a URI another
 * backend already showed the client, the client sees it as
 * `mcp-warden:<backend>:<original uri>`; that form is always accepted and routes to the named
 * backend with the original URI.
 *
 * List cursors: with several backends, the cursor the client sees encodes which backend the next
 * page comes from and that backend's own cursor (base64url of `[index, cursor]`); with one backend
 * cursors pass through unchanged.
 */

export const ALIAS_SCHEME = 'mcp-warden:';

export interface NamedBackend {
  name: string;
  /** Effective prefix ('' = names unchanged). */
  prefix: string;
}

export interface ResolvedName {
  index: number;
  name: string;
}

export class Namespace {
  readonly multi: boolean;
  /** Indexes of backends with a non-empty prefix, longest prefix first. */
  private readonly prefixed: Array<{ index: number; head: string }>;
  /** Backends whose names are not prefixed. */
  readonly unprefixed: number[];
  readonly renames: boolean;

  constructor(
    readonly backends: ReadonlyArray<NamedBackend>,
    readonly separator: string,
  ) {
    this.multi = backends.length > 1;
    this.prefixed = [];
    this.unprefixed = [];
    backends.forEach((b, index) => {
      if (b.prefix) this.prefixed.push({ index, head: b.prefix + separator });
      else this.unprefixed.push(index);
    });
    this.prefixed.sort((a, b) => b.head.length - a.head.length);
    this.renames = this.prefixed.length > 0;
  }

  /** Effective prefix of a configured backend. */
  static prefixFor(configured: string | undefined, name: string, backendCount: number): string {
    if (configured !== undefined) return configured;
    return backendCount > 1 ? name : '';
  }

  /** The client-visible name of a backend's tool/prompt/template. */
  exposed(index: number, name: string): string {
    const prefix = this.backends[index]!.prefix;
    return prefix ? prefix + this.separator + name : name;
  }

  /**
   * The backend and backend-side name for a client-visible name. Unprefixed names go to the one
   * unprefixed backend, or (several) to the first whose `has` says it knows the name.
   */
  resolve(name: string, has?: (index: number, name: string) => boolean): ResolvedName | undefined {
    if (!this.renames) {
      if (this.unprefixed.length === 1) return { index: 0, name };
    } else {
      for (const p of this.prefixed) {
        if (name.startsWith(p.head)) return { index: p.index, name: name.slice(p.head.length) };
      }
    }
    if (this.unprefixed.length === 1) return { index: this.unprefixed[0]!, name };
    for (const index of this.unprefixed) if (has?.(index, name)) return { index, name };
    return undefined;
  }

  static alias(backendName: string, uri: string): string {
    return `${ALIAS_SCHEME}${backendName}:${uri}`;
  }

  /** Splits an aliased URI into backend index and original URI. */
  unalias(uri: string): ResolvedName | undefined {
    if (!uri.startsWith(ALIAS_SCHEME)) return undefined;
    const colon = uri.indexOf(':', ALIAS_SCHEME.length);
    if (colon < 0) return undefined;
    const backend = uri.slice(ALIAS_SCHEME.length, colon);
    const index = this.backends.findIndex((b) => b.name === backend);
    return index < 0 ? undefined : { index, name: uri.slice(colon + 1) };
  }
}

export function encodeCursor(index: number, cursor: string | undefined): string {
  return Buffer.from(JSON.stringify(cursor === undefined ? [index] : [index, cursor])).toString('base64url');
}

export function decodeCursor(cursor: string): { index: number; cursor: string | undefined } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || typeof v[0] !== 'number' || !Number.isInteger(v[0])) return undefined;
    if (v.length > 1 && typeof v[1] !== 'string') return undefined;
    return { index: v[0], cursor: v[1] as string | undefined };
  } catch {
    return undefined;
  }
}

/**
 * Compiles an RFC 6570 URI template into a matcher: literal text must match exactly, each
 * expression matches a run of characters (`{+x}`/`{#x}` may span '/', simple `{x}` may not).
 */
export function templateMatcher(template: string): RegExp {
  let source = '^';
  let last = 0;
  const expr = /\{([^}]*)\}/g;
  for (let m = expr.exec(template); m; m = expr.exec(template)) {
    source += escapeRegExp(template.slice(last, m.index));
    const op = m[1]![0];
    source += op === '+' || op === '#' ? '.*' : op === '?' || op === '&' ? '(?:[?&].*)?' : '[^/?#]*';
    last = m.index + m[0].length;
  }
  source += escapeRegExp(template.slice(last)) + '$';
  return new RegExp(source);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
