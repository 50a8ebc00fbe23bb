/**
 * The schema (SDL) half of the GraphQL parser: type, interface, union, enum, input, scalar and
 * directive definitions, schema definitions and extensions, with gqlparser's rules (extensions
 * must add something, no descriptions on extensions, valid directive locations).
 */
import { K } from './graphql-lexer.js';
import { LOCATIONS, Parser, type Node } from './graphql-parser.js';

class SchemaParser extends Parser {
  // ---- schemas ----

  schemaDocument(): Node {
    const doc = { Schema: [] as Node[], SchemaExtension: [] as Node[], Directives: [] as Node[], Definitions: [] as Node[], Extensions: [] as Node[] };
    while (this.peek().kind !== K.EOF) {
      let description = '';
      let hasDescription = false;
      if (this.peek().kind === K.BlockString || this.peek().kind === K.String) {
        description = this.next().value;
        hasDescription = true;
      }
      const t = this.peek();
      if (t.kind !== K.Name) this.unexpected();
      switch (t.value) {
        case 'scalar':
        case 'type':
        case 'interface':
        case 'union':
        case 'enum':
        case 'input':
          doc.Definitions.push(this.typeDefinition(description, false));
          break;
        case 'schema':
          this.expectKeyword('schema');
          doc.Schema.push({ Description: description, Directives: this.directives(true), OperationTypes: this.operationTypes() });
          break;
        case 'directive':
          doc.Directives.push(this.directiveDefinition(description));
          break;
        case 'extend':
          if (hasDescription && description !== '') this.unexpected(this.prev);
          this.extension(doc);
          break;
        default:
          this.unexpected();
      }
    }
    return doc;
  }

  private operationTypes(): Node[] {
    const ops: Node[] = [];
    this.some(K.BraceL, K.BraceR, () => {
      const t = this.next();
      if (t.value !== 'query' && t.value !== 'mutation' && t.value !== 'subscription') this.unexpected(t);
      this.expect(K.Colon);
      ops.push({ Operation: t.value, Type: this.name() });
    });
    return ops;
  }

  private description(): string {
    const t = this.peek();
    return t.kind === K.BlockString || t.kind === K.String ? this.next().value : '';
  }

  private inputValue(withArgs: boolean): Node {
    const description = this.description();
    const name = this.name();
    const args = withArgs ? this.argumentDefs() : undefined;
    this.expect(K.Colon);
    const def: Node = { Description: description, Name: name };
    if (args !== undefined) def.Arguments = args;
    def.Type = this.typeReference();
    if (!withArgs && this.skip(K.Equals)) def.DefaultValue = this.value(true);
    def.Directives = this.directives(true);
    return def;
  }

  private argumentDefs(): Node[] {
    const args: Node[] = [];
    this.some(K.ParenL, K.ParenR, () => args.push(this.inputValue(false)));
    return args;
  }

  private fields(input: boolean): Node[] {
    const out: Node[] = [];
    this.some(K.BraceL, K.BraceR, () => out.push(this.inputValue(!input)));
    return out;
  }

  private interfaces(): string[] {
    const types: string[] = [];
    if (this.peek().value === 'implements') {
      this.next();
      this.skip(K.Amp);
      types.push(this.name());
      while (this.skip(K.Amp)) types.push(this.name());
    }
    return types;
  }

  private unionMembers(): string[] {
    const types: string[] = [];
    if (this.skip(K.Equals)) {
      this.skip(K.Pipe);
      types.push(this.name());
      while (this.skip(K.Pipe)) types.push(this.name());
    }
    return types;
  }

  private enumValues(): Node[] {
    const out: Node[] = [];
    this.some(K.BraceL, K.BraceR, () => {
      const description = this.description();
      out.push({ Description: description, Name: this.name(), Directives: this.directives(true) });
    });
    return out;
  }

  /** a type definition, or (extension) an extension of one */
  private typeDefinition(description: string, extension: boolean): Node {
    const kw = this.next().value;
    const def: Node = { Kind: '', Description: description, Name: this.name(), BuiltIn: false };
    const nothing = (...parts: unknown[][]): void => {
      if (extension && parts.every((p) => p.length === 0)) this.unexpected();
    };
    switch (kw) {
      case 'scalar': {
        def.Kind = 'SCALAR';
        const d = (def.Directives = this.directives(true));
        nothing(d);
        break;
      }
      case 'type':
      case 'interface': {
        def.Kind = kw === 'type' ? 'OBJECT' : 'INTERFACE';
        const i = (def.Interfaces = this.interfaces());
        const d = (def.Directives = this.directives(true));
        const f = (def.Fields = this.fields(false));
        nothing(kw === 'type' ? i : [], d, f);
        break;
      }
      case 'union': {
        def.Kind = 'UNION';
        const d = (def.Directives = this.directives(true));
        const t = (def.Types = this.unionMembers());
        nothing(d, t);
        break;
      }
      case 'enum': {
        def.Kind = 'ENUM';
        const d = (def.Directives = this.directives(true));
        const v = (def.EnumValues = this.enumValues());
        nothing(d, v);
        break;
      }
      case 'input': {
        def.Kind = 'INPUT_OBJECT';
        const d = (def.Directives = this.directives(!extension));
        const f = (def.Fields = this.fields(true));
        nothing(d, f);
        break;
      }
      default:
        this.unexpected(this.prev);
    }
    return def;
  }

  private extension(doc: { SchemaExtension: Node[]; Extensions: Node[] }): void {
    this.expectKeyword('extend');
    const v = this.peek().value;
    if (v === 'schema') {
      this.next();
      const directives = this.directives(true);
      const ops = this.operationTypes();
      if (directives.length === 0 && ops.length === 0) this.unexpected();
      doc.SchemaExtension.push({ Description: '', Directives: directives, OperationTypes: ops });
      return;
    }
    if (!['scalar', 'type', 'interface', 'union', 'enum', 'input'].includes(v)) this.unexpected();
    doc.Extensions.push(this.typeDefinition('', true));
  }

  private directiveDefinition(description: string): Node {
    this.expectKeyword('directive');
    this.expect(K.At);
    const name = this.name();
    const args = this.argumentDefs();
    let repeatable = false;
    if (this.peek().kind === K.Name && this.peek().value === 'repeatable') {
      repeatable = true;
      this.next();
    }
    this.expectKeyword('on');
    this.skip(K.Pipe);
    const locations = [this.location()];
    while (this.skip(K.Pipe)) locations.push(this.location());
    return { Description: description, Name: name, Arguments: args, Locations: locations, IsRepeatable: repeatable };
  }

  private location(): string {
    const t = this.expect(K.Name);
    if (!LOCATIONS.has(t.value)) this.unexpected(t);
    return t.value;
  }
}

export function parseSchemaDocument(src: string): Node {
  return new SchemaParser(src).schemaDocument();
}
