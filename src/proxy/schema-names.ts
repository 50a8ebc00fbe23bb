/**
 * The property names a JSON Schema object declares at one level, for argument-case.ts, following
 * what a Go backend's struct is generated from: `properties`, a local `$ref` (a JSON pointer into
 * the same schema, `#/$defs/Spec`, `#/definitions/Spec`, `#`), and `allOf`, `anyOf`, `oneOf` (the
 * union of their names at that level: a struct has every field any branch names). An array's
 * `items` are gathered too (a slice of structs is described by them), and so are an object's
 * `additionalProperties` and `patternProperties` schemas (a map of structs: its values are).
 *
 * A level whose schema cannot be read whole is marked `unknown`: a `$ref` that is not a local JSON
 * pointer, or points at nothing, or a chain of `$ref`/combinators nested deeper than MAX_HOPS.
 * A `$ref` cycle (a schema reaching itself through `$ref`s and combinators) is followed once: it
 * adds no names. Every schema object visited counts against the walk's budget (MAX_NODES per
 * tool); past it the walk is `over` and the tool's schema is taken as unknown.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How deep a chain of `$ref`s and combinators one level follows. */
export const MAX_HOPS = 64;
/** How many schema objects learning one tool's names may visit. */
export const MAX_NODES = 20_000;

/** What one level declares. */
export interface Gathered {
  /** each declared name, with the schemas declaring it (one per branch that does) */
  readonly props: Map<string, unknown[]>;
  /** the `items` schemas of the level's schemas (an array of objects) */
  readonly items: unknown[];
  /** the `additionalProperties` and `patternProperties` schemas (a map: its values, under any other name) */
  readonly additional: unknown[];
  /** a part of the level could not be read (a `$ref` not followed) */
  unknown: boolean;
}

export class SchemaWalk {
  /** schema objects visited so far */
  private visits = 0;
  /** the budget ran out (the schema is then taken as unknown) */
  over = false;

  constructor(private readonly root: unknown) {}

  /** The schema a local `$ref` points at ("#", "#/a/b~1c", percent-encoded), or undefined. */
  resolve(ref: string): unknown {
    if (ref === '#') return this.root;
    if (!ref.startsWith('#/')) return undefined;
    let at: unknown = this.root;
    for (const raw of ref.slice(2).split('/')) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        return undefined;
      }
      if (Array.isArray(at)) {
        if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
        at = at[Number(token)];
      } else if (isObject(at) && Object.prototype.hasOwnProperty.call(at, token)) at = at[token];
      else return undefined;
    }
    return at;
  }

  /** The names `schemas` declare at their level (their union), following `$ref` and the combinators. */
  gather(schemas: readonly unknown[]): Gathered {
    const out: Gathered = { props: new Map(), items: [], additional: [], unknown: false };
    const seen = new Set<object>();
    const visit = (s: unknown, hops: number): void => {
      if (!isObject(s) || seen.has(s)) return; // true/false schemas declare no names; a cycle adds none
      if (this.over || ++this.visits > MAX_NODES) {
        this.over = true;
        return;
      }
      if (hops > MAX_HOPS) {
        out.unknown = true;
        return;
      }
      seen.add(s);
      if (isObject(s.properties)) {
        for (const [name, sub] of Object.entries(s.properties)) {
          const list = out.props.get(name);
          if (list === undefined) out.props.set(name, [sub]);
          else list.push(sub);
        }
      }
      if (isObject(s.items)) out.items.push(s.items);
      if (isObject(s.additionalProperties)) out.additional.push(s.additionalProperties);
      if (isObject(s.patternProperties)) for (const v of Object.values(s.patternProperties)) if (isObject(v)) out.additional.push(v);
      if (s.$ref !== undefined) {
        const target = typeof s.$ref === 'string' ? this.resolve(s.$ref) : undefined;
        if (isObject(target)) visit(target, hops + 1);
        else if (typeof target !== 'boolean') out.unknown = true; // nothing there, or not a schema
      }
      for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
        const branches = s[k];
        if (Array.isArray(branches)) for (const b of branches) visit(b, hops + 1);
      }
    };
    for (const s of schemas) visit(s, 0);
    return out;
  }
}
