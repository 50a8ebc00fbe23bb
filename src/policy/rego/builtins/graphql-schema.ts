/**
 * GraphQL schema building and validation as gqlparser's ValidateSchemaDocument does it: the
 * prelude (built-in scalars, directives, introspection types) merged in, extensions applied
 * (creating missing base types), type references, field and argument kinds, interface
 * implementation (fields, covariant types, arguments, transitive interfaces), union members,
 * directive locations, reserved "__" names.
 */
import type { Node } from './graphql-parser.js';
import { parseSchemaDocument } from './graphql-sdl.js';

export class ValidationError extends Error {
  constructor(
    message: string,
    readonly line = 0,
    readonly col = 0,
  ) {
    super(message);
  }
}

export interface Schema {
  types: Map<string, Node>;
  directives: Map<string, Node>;
  possible: Map<string, string[]>;
  query?: Node;
  mutation?: Node;
  subscription?: Node;
}

const PRELUDE = `
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields: [__InputValue!] ofType: __Type specifiedByURL: String }
type __Field { name: String! description: String args: [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args: [__InputValue!]! isRepeatable: Boolean! }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
`;

let preludeDoc: Node | undefined;

function list(n: Node, k: string): Node[] {
  return (n[k] as Node[] | undefined) ?? [];
}

export function typeName(t: Node): string {
  return t.Elem ? typeName(t.Elem as Node) : (t.NamedType as string);
}

export function typeText(t: Node): string {
  const inner = t.Elem ? `[${typeText(t.Elem as Node)}]` : (t.NamedType as string);
  return inner + (t.NonNull ? '!' : '');
}

function fail(msg: string): never {
  throw new ValidationError(msg);
}

function validateName(name: string): void {
  if (name.startsWith('__')) fail(`Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`);
}

export function isInputKind(kind: unknown): boolean {
  return kind === 'SCALAR' || kind === 'ENUM' || kind === 'INPUT_OBJECT';
}

function checkDirectives(s: Schema, dirs: Node[], location: string, current?: string): void {
  for (const d of dirs) {
    const name = d.Name as string;
    validateName(name);
    if (current !== undefined && name === current) fail(`Directive ${current} cannot refer to itself.`);
    const def = s.directives.get(name);
    if (def === undefined) fail(`Undefined directive ${name}.`);
    if (!(def.Locations as string[]).includes(location)) fail(`Directive ${name} is not applicable on ${location}.`);
  }
}

function checkArgs(s: Schema, args: Node[], current?: string): void {
  for (const a of args) {
    validateName(a.Name as string);
    const t = s.types.get(typeName(a.Type as Node));
    if (t === undefined) fail(`Undefined type ${typeName(a.Type as Node)}.`);
    if (!isInputKind(t.Kind)) fail(`cannot use ${typeText(a.Type as Node)} as argument ${a.Name as string} because ${t.Kind as string} is not a valid input type`);
    checkDirectives(s, list(a, 'Directives'), 'ARGUMENT_DEFINITION', current);
  }
}

function covariant(s: Schema, req: Node, act: Node): boolean {
  if (req.NonNull && !act.NonNull) return false;
  if (req.NamedType) {
    if (req.NamedType === act.NamedType) return true;
    return (s.possible.get(req.NamedType as string) ?? []).includes(act.NamedType as string);
  }
  if (req.Elem && !act.Elem) return false;
  return covariant(s, req.Elem as Node, act.Elem as Node);
}

function checkImplements(s: Schema, def: Node, intfName: string): void {
  const intf = s.types.get(intfName);
  if (intf === undefined) fail(`Undefined type "${intfName}".`);
  if (intf.Kind !== 'INTERFACE') fail(`"${intfName}" is a non interface type ${intf.Kind as string}.`);
  for (const req of list(intf, 'Fields')) {
    const found = list(def, 'Fields').find((f) => f.Name === req.Name);
    if (found === undefined) fail(`For ${def.Name as string} to implement ${intfName} it must have a field called ${req.Name as string}.`);
    if (!covariant(s, req.Type as Node, found.Type as Node)) {
      fail(`For ${def.Name as string} to implement ${intfName} the field ${req.Name as string} must have type ${typeText(req.Type as Node)}.`);
    }
    for (const ra of list(req, 'Arguments')) {
      const fa = list(found, 'Arguments').find((a) => a.Name === ra.Name);
      if (fa === undefined || typeText(fa.Type as Node) !== typeText(ra.Type as Node)) {
        fail(`For ${def.Name as string} to implement ${intfName} the field ${req.Name as string} must have the same arguments.`);
      }
    }
    for (const fa of list(found, 'Arguments')) {
      if (!list(req, 'Arguments').some((a) => a.Name === fa.Name) && (fa.Type as Node).NonNull && fa.DefaultValue === undefined) {
        fail(`For ${def.Name as string} to implement ${intfName} any additional arguments on ${found.Name as string} must be optional or have a default value but ${fa.Name as string} is required.`);
      }
    }
  }
  const own = (def.Interfaces as string[] | undefined) ?? [];
  for (const transitive of (intf.Interfaces as string[] | undefined) ?? []) {
    if (!own.includes(transitive)) fail(`${def.Name as string} must implement ${transitive} because it is implemented by ${intfName}.`);
  }
}

function checkDefinition(s: Schema, def: Node): void {
  for (const f of list(def, 'Fields')) {
    validateName(f.Name as string);
    if (!s.types.has(typeName(f.Type as Node))) fail(`Undefined type ${typeName(f.Type as Node)}.`);
    checkArgs(s, list(f, 'Arguments'));
    checkDirectives(s, list(f, 'Directives'), def.Kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION');
  }
  for (const t of (def.Types as string[] | undefined) ?? []) {
    const td = s.types.get(t);
    if (td === undefined) fail(`Undefined type "${t}".`);
    if (td.Kind !== 'OBJECT') fail(`${def.Kind as string} type "${t}" must be OBJECT.`);
  }
  for (const intf of (def.Interfaces as string[] | undefined) ?? []) checkImplements(s, def, intf);
  const fields = list(def, 'Fields');
  switch (def.Kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (fields.length === 0) fail(`${def.Kind} must define one or more fields.`);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type as Node));
        if (t !== undefined && t.Kind === 'INPUT_OBJECT') fail(`${def.Kind} field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.`);
      }
      break;
    case 'ENUM':
      if (list(def, 'EnumValues').length === 0) fail(`${def.Kind} must define one or more unique enum values.`);
      break;
    case 'INPUT_OBJECT':
      if (fields.length === 0) fail(`${def.Kind} must define one or more input fields.`);
      for (const f of fields) {
        const t = s.types.get(typeName(f.Type as Node));
        if (t !== undefined && !isInputKind(t.Kind)) fail(`${def.Kind} field must be one of SCALAR, ENUM, INPUT_OBJECT.`);
      }
      break;
  }
  for (let i = 0; i < fields.length; i++) {
    for (let j = i + 1; j < fields.length; j++) {
      if (fields[i]!.Name === fields[j]!.Name) fail(`Field ${def.Name as string}.${fields[j]!.Name as string} can only be defined once.`);
    }
  }
  if (!def.BuiltIn) validateName(def.Name as string);
  checkDirectives(s, list(def, 'Directives'), def.Kind as string);
}

/** builds and validates a schema from a (user) schema document; the document is not modified */
export function buildSchema(userDoc: Node): Schema {
  if (preludeDoc === undefined) {
    preludeDoc = parseSchemaDocument(PRELUDE);
    for (const d of list(preludeDoc, 'Definitions')) d.BuiltIn = true;
  }
  const doc = structuredClone(userDoc);
  const s: Schema = { types: new Map(), directives: new Map(), possible: new Map() };
  const defs: Node[] = [];
  for (const d of [...list(preludeDoc, 'Definitions'), ...list(doc, 'Definitions')]) {
    if (s.types.has(d.Name as string)) fail(`Cannot redeclare type ${d.Name as string}.`);
    s.types.set(d.Name as string, structuredClone(d));
    defs.push(s.types.get(d.Name as string)!);
  }
  for (const ext of list(doc, 'Extensions')) {
    let def = s.types.get(ext.Name as string);
    if (def === undefined) {
      def = { Kind: ext.Kind, Name: ext.Name, BuiltIn: false };
      s.types.set(ext.Name as string, def);
      defs.push(def);
    }
    if (def.Kind !== ext.Kind) fail(`Cannot extend type ${ext.Name as string} because the base type is a ${def.Kind as string}, not ${ext.Kind as string}.`);
    for (const k of ['Directives', 'Interfaces', 'Fields', 'Types', 'EnumValues']) {
      const add = ext[k] as unknown[] | undefined;
      if (add && add.length) def[k] = [...((def[k] as unknown[] | undefined) ?? []), ...add];
    }
  }
  const addPossible = (k: string, v: string): void => {
    const l = s.possible.get(k) ?? [];
    l.push(v);
    s.possible.set(k, l);
  };
  for (const def of defs) {
    if (def.Kind === 'UNION') for (const t of (def.Types as string[] | undefined) ?? []) addPossible(def.Name as string, t);
    else if (def.Kind === 'OBJECT' || def.Kind === 'INPUT_OBJECT') {
      for (const i of (def.Interfaces as string[] | undefined) ?? []) addPossible(i, def.Name as string);
      addPossible(def.Name as string, def.Name as string);
    }
  }
  for (const d of [...list(preludeDoc, 'Directives'), ...list(doc, 'Directives')]) {
    if (s.directives.has(d.Name as string)) fail(`Cannot redeclare directive ${d.Name as string}.`);
    s.directives.set(d.Name as string, d);
  }
  const schemas = list(doc, 'Schema');
  if (schemas.length > 1) fail('Cannot have multiple schema entry points, consider schema extensions instead.');
  for (const sd of [...schemas, ...list(doc, 'SchemaExtension')]) {
    for (const op of list(sd, 'OperationTypes')) {
      const def = s.types.get(op.Type as string);
      if (def === undefined) fail(`Schema root ${op.Operation as string} refers to a type ${op.Type as string} that does not exist.`);
      if (op.Operation === 'query') s.query = def;
      else if (op.Operation === 'mutation') s.mutation = def;
      else s.subscription = def;
    }
  }
  for (const def of s.types.values()) checkDefinition(s, def);
  for (const d of s.directives.values()) {
    validateName(d.Name as string);
    checkArgs(s, list(d, 'Arguments'), d.Name as string);
  }
  s.query ??= s.types.get('Query');
  s.mutation ??= s.types.get('Mutation');
  s.subscription ??= s.types.get('Subscription');
  if (s.query !== undefined) {
    s.query.Fields = [
      ...list(s.query, 'Fields'),
      { Name: '__schema', Type: { NamedType: '__Schema', NonNull: true } },
      { Name: '__type', Type: { NamedType: '__Type', NonNull: false }, Arguments: [{ Name: 'name', Type: { NamedType: 'String', NonNull: true } }] },
    ];
  }
  return s;
}
