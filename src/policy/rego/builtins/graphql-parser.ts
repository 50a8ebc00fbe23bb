/**
 * GraphQL query and schema (SDL) parser producing gqlparser-shaped ASTs (plain objects with Go's
 * field names, Value kinds as numbers, Definition kinds as "OBJECT" ...) and gqlparser's error
 * messages ("Expected Name, found <EOF>", "Unexpected Name \"x\"", "expected at least one
 * definition, found }") with their 1-based line:column.
 */
import { K, Lexer, kindName, tokenText, type Token } from './graphql-lexer.js';

export type Node = Record<string, unknown>;

export class GraphQLError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const VALUE_KIND = { Variable: 0, Int: 1, Float: 2, String: 3, Block: 4, Boolean: 5, Null: 6, Enum: 7, List: 8, Object: 9 };
export const LOCATIONS = new Set([
  'QUERY', 'MUTATION', 'SUBSCRIPTION', 'FIELD', 'FRAGMENT_DEFINITION', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT', 'VARIABLE_DEFINITION',
  'SCHEMA', 'SCALAR', 'OBJECT', 'FIELD_DEFINITION', 'ARGUMENT_DEFINITION', 'INTERFACE', 'UNION', 'ENUM', 'ENUM_VALUE',
  'INPUT_OBJECT', 'INPUT_FIELD_DEFINITION',
]);

export class Parser {
  protected readonly lexer: Lexer;
  protected peeked: Token | null = null;
  protected prev: Token = { kind: K.EOF, value: '', line: 1, col: 1 };

  constructor(src: string) {
    this.lexer = new Lexer(src);
  }

  protected fail(t: Token, msg: string): never {
    throw new GraphQLError(msg, t.line, t.col);
  }

  peek(): Token {
    if (this.peeked === null) this.peeked = this.lexer.next();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = null;
    if (t.kind === K.Invalid) this.fail(t, t.error ?? 'Unexpected <Invalid>');
    this.prev = t;
    return t;
  }

  expect(kind: K): Token {
    const t = this.peek();
    if (t.kind === kind) return this.next();
    return this.fail(t, `Expected ${kindName(kind)}, found ${kindName(t.kind)}`);
  }

  expectKeyword(v: string): Token {
    const t = this.peek();
    if (t.kind === K.Name && t.value === v) return this.next();
    return this.fail(t, `Expected ${JSON.stringify(v)}, found ${tokenText(t)}`);
  }

  skip(kind: K): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  unexpected(t: Token = this.peek()): never {
    return this.fail(t, `Unexpected ${tokenText(t)}`);
  }

  many(start: K, end: K, cb: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end) cb();
    this.next();
  }

  some(start: K, end: K, cb: () => void): void {
    if (!this.skip(start)) return;
    let called = false;
    while (this.peek().kind !== end) {
      called = true;
      cb();
    }
    if (!called) this.fail(this.peek(), `expected at least one definition, found ${kindName(this.peek().kind)}`);
    this.next();
  }

  name(): string {
    return this.expect(K.Name).value;
  }

  // ---- queries ----

  queryDocument(): Node {
    const ops: Node[] = [];
    const frags: Node[] = [];
    while (this.peek().kind !== K.EOF) {
      const t = this.peek();
      if (t.kind === K.Name) {
        if (t.value === 'query' || t.value === 'mutation' || t.value === 'subscription') ops.push(this.operation());
        else if (t.value === 'fragment') frags.push(this.fragmentDefinition());
        else this.unexpected();
      } else if (t.kind === K.BraceL) ops.push(this.operation());
      else this.unexpected();
    }
    return { Operations: ops, Fragments: frags };
  }

  private operation(): Node {
    if (this.peek().kind === K.BraceL) return { Operation: 'query', Name: '', SelectionSet: this.requiredSelectionSet() };
    const opTok = this.next();
    if (opTok.value !== 'query' && opTok.value !== 'mutation' && opTok.value !== 'subscription') this.unexpected(opTok);
    const name = this.peek().kind === K.Name ? this.next().value : '';
    const vars = this.variableDefinitions();
    const directives = this.directives(false);
    return { Operation: opTok.value, Name: name, VariableDefinitions: vars, Directives: directives, SelectionSet: this.requiredSelectionSet() };
  }

  private variableDefinitions(): Node[] {
    const defs: Node[] = [];
    this.many(K.ParenL, K.ParenR, () => {
      this.expect(K.Dollar);
      const variable = this.name();
      this.expect(K.Colon);
      const type = this.typeReference();
      const def: Node = { Variable: variable, Type: type, Used: false };
      if (this.skip(K.Equals)) def.DefaultValue = this.value(true);
      def.Directives = this.directives(false);
      defs.push(def);
    });
    return defs;
  }

  private requiredSelectionSet(): Node[] {
    if (this.peek().kind !== K.BraceL) this.fail(this.peek(), `Expected {, found ${kindName(this.peek().kind)}`);
    const sel: Node[] = [];
    this.some(K.BraceL, K.BraceR, () => sel.push(this.selection()));
    return sel;
  }

  private selection(): Node {
    if (this.peek().kind === K.Spread) return this.fragment();
    const at = this.peek();
    const alias = this.name();
    const name = this.skip(K.Colon) ? this.name() : alias;
    const field: Node = { Alias: alias, Name: name, Arguments: this.arguments(false), Directives: this.directives(false), Position: { Line: at.line, Column: at.col } };
    if (this.peek().kind === K.BraceL) {
      const sel: Node[] = [];
      this.some(K.BraceL, K.BraceR, () => sel.push(this.selection()));
      field.SelectionSet = sel;
    }
    return field;
  }

  private arguments(isConst: boolean): Node[] {
    const args: Node[] = [];
    this.many(K.ParenL, K.ParenR, () => {
      const name = this.name();
      this.expect(K.Colon);
      args.push({ Name: name, Value: this.value(isConst) });
    });
    return args;
  }

  private fragment(): Node {
    this.expect(K.Spread);
    const t = this.peek();
    if (t.kind === K.Name && t.value !== 'on') return { Name: this.fragmentName(), Directives: this.directives(false) };
    let typeCondition = '';
    if (this.peek().value === 'on') {
      this.next();
      typeCondition = this.name();
    }
    return { TypeCondition: typeCondition, Directives: this.directives(false), SelectionSet: this.requiredSelectionSet() };
  }

  private fragmentDefinition(): Node {
    this.expectKeyword('fragment');
    const name = this.fragmentName();
    const vars = this.variableDefinitions();
    this.expectKeyword('on');
    const typeCondition = this.name();
    return { Name: name, VariableDefinition: vars, TypeCondition: typeCondition, Directives: this.directives(false), SelectionSet: this.requiredSelectionSet() };
  }

  private fragmentName(): string {
    if (this.peek().value === 'on') this.unexpected();
    return this.name();
  }

  value(isConst: boolean): Node {
    const t = this.peek();
    let kind: number;
    switch (t.kind) {
      case K.BracketL: {
        const children: Node[] = [];
        this.many(K.BracketL, K.BracketR, () => children.push({ Name: '', Value: this.value(isConst) }));
        return { Raw: '', Children: children, Kind: VALUE_KIND.List, ExpectedTypeHasDefault: false };
      }
      case K.BraceL: {
        const children: Node[] = [];
        this.many(K.BraceL, K.BraceR, () => {
          const name = this.name();
          this.expect(K.Colon);
          children.push({ Name: name, Value: this.value(isConst) });
        });
        return { Raw: '', Children: children, Kind: VALUE_KIND.Object, ExpectedTypeHasDefault: false };
      }
      case K.Dollar:
        if (isConst) this.unexpected();
        this.next();
        return { Raw: this.name(), Kind: VALUE_KIND.Variable, ExpectedTypeHasDefault: false };
      case K.Int:
        kind = VALUE_KIND.Int;
        break;
      case K.Float:
        kind = VALUE_KIND.Float;
        break;
      case K.String:
        kind = VALUE_KIND.String;
        break;
      case K.BlockString:
        kind = VALUE_KIND.Block;
        break;
      case K.Name:
        kind = t.value === 'true' || t.value === 'false' ? VALUE_KIND.Boolean : t.value === 'null' ? VALUE_KIND.Null : VALUE_KIND.Enum;
        break;
      default:
        return this.unexpected();
    }
    this.next();
    return { Raw: t.value, Kind: kind, ExpectedTypeHasDefault: false };
  }

  directives(isConst: boolean): Node[] {
    const out: Node[] = [];
    while (this.peek().kind === K.At) {
      this.expect(K.At);
      out.push({ Name: this.name(), Arguments: this.arguments(isConst), Location: '' });
    }
    return out;
  }

  typeReference(): Node {
    let typ: Node;
    if (this.skip(K.BracketL)) {
      typ = { NamedType: '', Elem: this.typeReference() };
      this.expect(K.BracketR);
    } else typ = { NamedType: this.name() };
    typ.NonNull = this.skip(K.Bang);
    return typ;
  }
}

export function parseQueryDocument(src: string): Node {
  return new Parser(src).queryDocument();
}

