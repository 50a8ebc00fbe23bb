/**
 * Validation of a GraphQL query document against a schema, with gqlparser's rules and messages:
 * known root types, lone anonymous / unique operation names, fields on correct type, known and
 * required arguments, scalar leafs, known types / fragments / directives (and their locations),
 * variables defined, used and of input types, fragments used and on composite types, basic
 * literal value checks (enum values, scalar kinds, unknown input fields).
 */
import { isInputKind, typeName, typeText, ValidationError, type Schema } from './graphql-schema.js';
import type { Node } from './graphql-parser.js';

function fail(msg: string, at?: Node): never {
  const pos = at?.Position as { Line?: number; Column?: number } | undefined;
  throw new ValidationError(msg, pos?.Line ?? 0, pos?.Column ?? 0);
}

function list(n: Node, k: string): Node[] {
  return (n[k] as Node[] | undefined) ?? [];
}

const KIND = { Variable: 0, Int: 1, Float: 2, String: 3, Block: 4, Boolean: 5, Null: 6, Enum: 7, List: 8, Object: 9 };

class QueryValidator {
  private usedFragments = new Set<string>();
  private usedVars = new Set<string>();
  private fragments = new Map<string, Node>();

  constructor(private readonly s: Schema) {}

  validate(doc: Node): void {
    const ops = list(doc, 'Operations');
    for (const f of list(doc, 'Fragments')) {
      if (this.fragments.has(f.Name as string)) fail(`There can be only one fragment named "${f.Name as string}".`);
      this.fragments.set(f.Name as string, f);
    }
    const names = new Set<string>();
    for (const op of ops) {
      if (op.Name === '' && ops.length > 1) fail('This anonymous operation must be the only defined operation.');
      if (op.Name !== '') {
        if (names.has(op.Name as string)) fail(`There can be only one operation named "${op.Name as string}".`);
        names.add(op.Name as string);
      }
    }
    for (const op of ops) this.operation(op);
    for (const f of this.fragments.values()) {
      const on = this.s.types.get(f.TypeCondition as string);
      if (on === undefined) fail(`Unknown type "${f.TypeCondition as string}".`);
      if (!this.composite(on)) fail(`Fragment "${f.Name as string}" cannot condition on non composite type "${f.TypeCondition as string}".`);
      this.directives(list(f, 'Directives'), 'FRAGMENT_DEFINITION', new Map());
      if (!this.usedFragments.has(f.Name as string)) fail(`Fragment "${f.Name as string}" is never used.`);
    }
  }

  private composite(t: Node): boolean {
    return t.Kind === 'OBJECT' || t.Kind === 'INTERFACE' || t.Kind === 'UNION';
  }

  private operation(op: Node): void {
    const kind = op.Operation as string;
    const root = kind === 'query' ? this.s.query : kind === 'mutation' ? this.s.mutation : this.s.subscription;
    if (root === undefined) fail(`Schema does not support operation type "${kind}"`);
    const vars = new Map<string, Node>();
    for (const v of list(op, 'VariableDefinitions')) {
      const name = v.Variable as string;
      if (vars.has(name)) fail(`There can be only one variable named "$${name}".`);
      const t = this.s.types.get(typeName(v.Type as Node));
      if (t === undefined) fail(`Unknown type "${typeName(v.Type as Node)}".`);
      if (!isInputKind(t.Kind)) fail(`Variable "$${name}" cannot be non-input type "${typeText(v.Type as Node)}".`);
      if (v.DefaultValue !== undefined) this.value(v.DefaultValue as Node, v.Type as Node, vars);
      this.directives(list(v, 'Directives'), 'VARIABLE_DEFINITION', vars);
      vars.set(name, v);
    }
    this.usedVars = new Set();
    this.directives(list(op, 'Directives'), kind.toUpperCase(), vars);
    this.selectionSet(list(op, 'SelectionSet'), root, vars, new Set());
    for (const name of vars.keys()) {
      if (!this.usedVars.has(name)) {
        fail(op.Name ? `Variable "$${name}" is never used in operation "${op.Name as string}".` : `Variable "$${name}" is never used.`);
      }
    }
  }

  private selectionSet(sel: Node[], parent: Node, vars: Map<string, Node>, visiting: Set<string>): void {
    for (const s of sel) {
      if ('Alias' in s) this.field(s, parent, vars, visiting);
      else if ('TypeCondition' in s && !('Name' in s)) {
        let on = parent;
        if (s.TypeCondition) {
          const t = this.s.types.get(s.TypeCondition as string);
          if (t === undefined) fail(`Unknown type "${s.TypeCondition as string}".`);
          if (!this.composite(t)) fail(`Fragment cannot condition on non composite type "${s.TypeCondition as string}".`);
          on = t;
        }
        this.directives(list(s, 'Directives'), 'INLINE_FRAGMENT', vars);
        this.selectionSet(list(s, 'SelectionSet'), on, vars, visiting);
      } else {
        const name = s.Name as string;
        const frag = this.fragments.get(name);
        if (frag === undefined) fail(`Unknown fragment "${name}".`);
        this.usedFragments.add(name);
        this.directives(list(s, 'Directives'), 'FRAGMENT_SPREAD', vars);
        if (visiting.has(name)) fail(`Cannot spread fragment "${name}" within itself.`);
        const on = this.s.types.get(frag.TypeCondition as string);
        if (on !== undefined && this.composite(on)) {
          visiting.add(name);
          this.selectionSet(list(frag, 'SelectionSet'), on, vars, visiting);
          visiting.delete(name);
        }
      }
    }
  }

  private field(f: Node, parent: Node, vars: Map<string, Node>, visiting: Set<string>): void {
    const name = f.Name as string;
    this.directives(list(f, 'Directives'), 'FIELD', vars);
    if (name === '__typename') {
      if (list(f, 'SelectionSet').length > 0) fail(`Field "__typename" must not have a selection since type "String!" has no subfields.`);
      return;
    }
    const def = list(parent, 'Fields').find((x) => x.Name === name);
    if (def === undefined) fail(`Cannot query field "${name}" on type "${parent.Name as string}".`, f);
    const argDefs = list(def, 'Arguments');
    for (const a of list(f, 'Arguments')) {
      const ad = argDefs.find((x) => x.Name === a.Name);
      if (ad === undefined) fail(`Unknown argument "${a.Name as string}" on field "${parent.Name as string}.${name}".`, f);
      this.value(a.Value as Node, ad.Type as Node, vars);
    }
    for (const ad of argDefs) {
      if ((ad.Type as Node).NonNull && ad.DefaultValue === undefined && !list(f, 'Arguments').some((a) => a.Name === ad.Name)) {
        fail(`Field "${name}" argument "${ad.Name as string}" of type "${typeText(ad.Type as Node)}" is required, but it was not provided.`, f);
      }
    }
    const t = this.s.types.get(typeName(def.Type as Node));
    if (t === undefined) return;
    const sel = list(f, 'SelectionSet');
    if (this.composite(t)) {
      if (sel.length === 0) fail(`Field "${name}" of type "${typeText(def.Type as Node)}" must have a selection of subfields. Did you mean "${name} { ... }"?`);
      this.selectionSet(sel, t, vars, visiting);
    } else if (sel.length > 0) {
      fail(`Field "${name}" must not have a selection since type "${typeText(def.Type as Node)}" has no subfields.`);
    }
  }

  private directives(dirs: Node[], location: string, vars: Map<string, Node>): void {
    const seen = new Set<string>();
    for (const d of dirs) {
      const name = d.Name as string;
      const def = this.s.directives.get(name);
      if (def === undefined) fail(`Unknown directive "@${name}".`);
      if (!(def.Locations as string[]).includes(location)) fail(`Directive "@${name}" may not be used on ${location}.`);
      if (seen.has(name) && !def.IsRepeatable) fail(`The directive "@${name}" can only be used once at this location.`);
      seen.add(name);
      const argDefs = list(def, 'Arguments');
      for (const a of list(d, 'Arguments')) {
        const ad = argDefs.find((x) => x.Name === a.Name);
        if (ad === undefined) fail(`Unknown argument "${a.Name as string}" on directive "@${name}".`);
        this.value(a.Value as Node, ad.Type as Node, vars);
      }
      for (const ad of argDefs) {
        if ((ad.Type as Node).NonNull && ad.DefaultValue === undefined && !list(d, 'Arguments').some((a) => a.Name === ad.Name)) {
          fail(`Directive "@${name}" argument "${ad.Name as string}" of type "${typeText(ad.Type as Node)}" is required, but it was not provided.`);
        }
      }
    }
  }

  /** literal values against their expected type (variables: defined and recorded as used) */
  private value(v: Node, type: Node, vars: Map<string, Node>): void {
    const kind = v.Kind as number;
    if (kind === KIND.Variable) {
      const name = v.Raw as string;
      if (!vars.has(name)) fail(`Variable "$${name}" is not defined.`);
      this.usedVars.add(name);
      return;
    }
    if (kind === KIND.Null) {
      if (type.NonNull) fail(`Expected value of type "${typeText(type)}", found null.`);
      return;
    }
    if (type.Elem) {
      if (kind === KIND.List) for (const c of list(v, 'Children')) this.value(c.Value as Node, type.Elem as Node, vars);
      else this.value(v, type.Elem as Node, vars);
      return;
    }
    const t = this.s.types.get(type.NamedType as string);
    if (t === undefined) return;
    const bad = (): never => fail(`Expected value of type "${typeText(type)}", found ${this.valueText(v)}.`);
    switch (t.Kind) {
      case 'ENUM':
        if (kind !== KIND.Enum || !list(t, 'EnumValues').some((e) => e.Name === v.Raw)) bad();
        break;
      case 'INPUT_OBJECT': {
        if (kind !== KIND.Object) bad();
        const fields = list(t, 'Fields');
        for (const c of list(v, 'Children')) {
          const fd = fields.find((x) => x.Name === c.Name);
          if (fd === undefined) fail(`Field "${c.Name as string}" is not defined by type "${t.Name as string}".`);
          this.value(c.Value as Node, fd.Type as Node, vars);
        }
        for (const fd of fields) {
          if ((fd.Type as Node).NonNull && fd.DefaultValue === undefined && !list(v, 'Children').some((c) => c.Name === fd.Name)) {
            fail(`Field "${t.Name as string}.${fd.Name as string}" of required type "${typeText(fd.Type as Node)}" was not provided.`);
          }
        }
        break;
      }
      case 'SCALAR':
        switch (t.Name) {
          case 'Int':
            if (kind !== KIND.Int) bad();
            break;
          case 'Float':
            if (kind !== KIND.Int && kind !== KIND.Float) bad();
            break;
          case 'String':
            if (kind !== KIND.String && kind !== KIND.Block) bad();
            break;
          case 'Boolean':
            if (kind !== KIND.Boolean) bad();
            break;
          case 'ID':
            if (kind !== KIND.String && kind !== KIND.Block && kind !== KIND.Int) bad();
            break;
        }
        break;
    }
  }

  private valueText(v: Node): string {
    switch (v.Kind as number) {
      case KIND.String:
      case KIND.Block:
        return JSON.stringify(v.Raw);
      case KIND.List:
        return '[' + list(v, 'Children').map((c) => this.valueText(c.Value as Node)).join(', ') + ']';
      case KIND.Object:
        return '{' + list(v, 'Children').map((c) => `${c.Name as string}: ${this.valueText(c.Value as Node)}`).join(', ') + '}';
      default:
        return v.Raw as string;
    }
  }
}

export function validateQuery(schema: Schema, doc: Node): void {
  new QueryValidator(schema).validate(doc);
}
