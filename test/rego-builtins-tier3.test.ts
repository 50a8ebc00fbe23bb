import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BigNum, toJSON } from '../src/policy/rego/value/index.js';
import { call, callError, makeCtx } from './helpers/rego-builtin-call.js';

const j = (v: unknown) => toJSON(v as never);

describe('graphql.*', () => {
  const schema = `
    type Query { user(id: ID!): User  users(role: Role = ADMIN): [User!]! }
    type User { id: ID! name: String  friends: [User] }
    enum Role { ADMIN USER }
  `;

  it('parses queries into gqlparser-shaped, pruned ASTs', () => {
    const ast = j(call('graphql.parse_query', ['query Q($id: ID!) { user(id: $id) { name } }'])) as Record<string, unknown>;
    expect(ast).toEqual({
      Operations: [
        {
          Name: 'Q',
          Operation: 'query',
          SelectionSet: [
            {
              Alias: 'user',
              Arguments: [{ Name: 'id', Value: { ExpectedTypeHasDefault: false, Kind: 0, Raw: 'id' } }],
              Name: 'user',
              SelectionSet: [{ Alias: 'name', Name: 'name' }],
            },
          ],
          VariableDefinitions: [{ Type: { NamedType: 'ID', NonNull: true }, Used: false, Variable: 'id' }],
        },
      ],
    });
  });

  it('reports syntax errors with gqlparser messages and locations', () => {
    expect(callError('graphql.parse_query', ['{']).message).toBe('Expected Name, found <EOF> in GraphQL string at location 1:2');
    expect(callError('graphql.parse_schema', ['type A {}']).message).toBe('expected at least one definition, found } in GraphQL string at location 1:9');
  });

  it('validates queries against a schema', () => {
    expect(call('graphql.is_valid', ['{ user(id: "1") { name friends { id } } }', schema])).toBe(true);
    expect(call('graphql.is_valid', ['{ user { name } }', schema])).toBe(false); // missing required argument
    expect(call('graphql.is_valid', ['{ user(id: "1") { nope } }', schema])).toBe(false);
    expect(call('graphql.is_valid', ['{ users(role: BOSS) { id } }', schema])).toBe(false);
    expect(call('graphql.is_valid', ['query($x: ID!) { user(id: "1") { id } }', schema])).toBe(false); // unused variable
    expect(callError('graphql.parse', ['{ user { name } }', schema]).message).toBe(
      'Field "user" argument "id" of type "ID!" is required, but it was not provided in GraphQL string at location 1:3',
    );
    const [ok] = call('graphql.parse_and_verify', ['{ users { id } }', schema]) as unknown[];
    expect(ok).toBe(true);
  });

  it('validates schemas', () => {
    expect(call('graphql.schema_is_valid', [schema])).toBe(true);
    expect(call('graphql.schema_is_valid', ['type Query { a: Missing }'])).toBe(false);
    expect(call('graphql.schema_is_valid', ['interface I { a: Int } type T implements I { b: Int }'])).toBe(false);
    expect(call('graphql.schema_is_valid', ['input In { a: Out } type Out { b: Int } type Query { c(x: In): Int }'])).toBe(false);
  });
});

describe('json.match_schema / json.verify_schema', () => {
  const schema = { type: 'object', properties: { id: { type: 'integer', minimum: 1 }, tags: { type: 'array', items: { type: 'string' } } }, required: ['id'] };

  it('reports gojsonschema-style errors', () => {
    expect(j(call('json.match_schema', [{ id: 5, tags: ['a'] }, schema]))).toEqual([true, []]);
    expect(j(call('json.match_schema', [{ tags: [1] }, schema]))).toEqual([
      false,
      [
        { desc: 'id is required', error: '(root): id is required', field: '(root)', type: 'required' },
        { desc: 'Invalid type. Expected: string, given: integer', error: 'tags.0: Invalid type. Expected: string, given: integer', field: 'tags.0', type: 'invalid_type' },
      ],
    ]);
    expect(j(call('json.match_schema', ['{"id": 0}', JSON.stringify(schema)]))).toEqual([
      false,
      [{ desc: 'Must be greater than or equal to 1', error: 'id: Must be greater than or equal to 1', field: 'id', type: 'number_gte' }],
    ]);
  });

  it('rejects invalid schemas', () => {
    expect(j(call('json.verify_schema', [{ type: 'wat' }]))).toEqual([
      false,
      'jsonschema: has a primitive type that is NOT VALID -- given: /wat/ Expected valid values are:[array boolean integer number null object string]',
    ]);
    expect(j(call('json.verify_schema', [schema]))).toEqual([true, null]);
  });
});

describe('crypto.x509.*', () => {
  // a root and a leaf made with openssl (P-256, valid for 100 years), see test/fixtures/x509
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'x509');
  const root = readFileSync(join(dir, 'root.pem'), 'utf8');
  const leaf = readFileSync(join(dir, 'leaf.pem'), 'utf8');

  it('parses PEM, base64 PEM and base64 DER certificates', () => {
    const [c] = j(call('crypto.x509.parse_certificates', [leaf])) as Record<string, any>[];
    expect(c!.Subject.CommonName).toBe('tools.warden.test');
    expect(c!.Subject.Organization).toEqual(['Warden Test']);
    expect(c!.Issuer.CommonName).toBe('Warden Test Root');
    expect(c!.DNSNames).toEqual(['tools.warden.test']);
    expect(c!.URIStrings).toEqual(['spiffe://warden.test/proxy']);
    expect(c!.IPAddresses).toEqual(['10.1.2.3']);
    expect(c!.Version).toBe(3);
    const der = Buffer.from(leaf.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64');
    const [d] = j(call('crypto.x509.parse_certificates', [der])) as Record<string, any>[];
    expect(d!.Subject.CommonName).toBe('tools.warden.test');
    const [r] = j(call('crypto.x509.parse_certificates', [Buffer.from(root).toString('base64')])) as Record<string, any>[];
    expect(r!.IsCA).toBe(true);
  });

  it('verifies a chain given root first, returning it leaf first', () => {
    const now = makeCtx(BigInt(Date.now()) * 1_000_000n);
    const [ok, chain] = j(call('crypto.x509.parse_and_verify_certificates', [root + leaf], now)) as [boolean, Record<string, any>[]];
    expect(ok).toBe(true);
    expect(chain.map((c) => c.Subject.CommonName)).toEqual(['tools.warden.test', 'Warden Test Root']);
    // the leaf alone is not a trusted chain
    expect(j(call('crypto.x509.parse_and_verify_certificates', [leaf + root], now))).toEqual([false, []]);
    // before the certificates were issued the chain is not valid
    expect(j(call('crypto.x509.parse_and_verify_certificates', [root + leaf], makeCtx(0n)))).toEqual([false, []]);
  });

  it('parses CSRs and key pairs, and reports malformed input', () => {
    const csr = j(call('crypto.x509.parse_certificate_request', [readFileSync(join(dir, 'leaf.csr'), 'utf8')])) as Record<string, any>;
    expect(csr.Subject.CommonName).toBe('tools.warden.test');
    const kp = j(call('crypto.x509.parse_keypair', [leaf, readFileSync(join(dir, 'leaf.key'), 'utf8')])) as Record<string, any>;
    expect(kp.Certificate[0]).toBe(Buffer.from(leaf.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64'));
    expect(callError('crypto.x509.parse_certificates', ['YmFkc3RyaW5n']).message).toBe('x509: malformed certificate');
    expect(callError('crypto.x509.parse_certificates', ['foobar']).message).toContain('illegal base64');
    expect(callError('crypto.x509.parse_certificate_request', ['YmFkc3RyaW5n']).message).toContain('asn1: structure error');
  });
});

describe('providers.aws.sign_req', () => {
  it('signs like OPA (AWS SigV4 test vector of the OPA cases)', () => {
    const out = j(
      call('providers.aws.sign_req', [
        { method: 'get', url: 'http://example.com' },
        { aws_access_key: 'MYAWSACCESSKEYGOESHERE', aws_secret_access_key: 'MYAWSSECRETACCESSKEYGOESHERE', aws_service: 's3', aws_region: 'us-east-1' },
        BigNum.fromBigInt(1451311705000000000n),
      ]),
    ) as { headers: Record<string, string> };
    expect(out.headers.Authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3',
    );
    expect(out.headers['x-amz-date']).toBe('20151228T140825Z');
    expect(callError('providers.aws.sign_req', [{}, { aws_access_key: 'a', aws_secret_access_key: 'b', aws_service: 's3', aws_region: 'r' }, 1]).message).toBe(
      'operand 1 missing required request parameters(s): {"method", "url"}',
    );
  });
});

describe('strings.render_template', () => {
  it('renders the text/template subset', () => {
    expect(call('strings.render_template', ['{{range $i, $name := .names}}{{if $i}},{{end}}hello {{$name}}{{end}}', { names: ['a', 'b'] }])).toBe('hello a,hello b');
    // numbers reach Go's template as float64, so %d reports a wrong type exactly as OPA does
    expect(call('strings.render_template', ['{{.n}} {{.missing}} {{printf "%.1f" .n}} {{printf "%d" .n}}', { n: 7 }])).toBe('7 <undefined> 7.0 %!d(float64=7)');
    expect(callError('strings.render_template', ['{{if .a}}', {}]).message).toBe('template: template:1: unexpected EOF');
  });
});

describe('rego.parse_module', () => {
  it('returns the OPA AST JSON shape and reports syntax errors', () => {
    const m = j(call('rego.parse_module', ['x.rego', 'package foo.bar\n\nimport data.a\n\np if { a = true }\n'])) as Record<string, any>;
    expect(m.package.path).toEqual([
      { type: 'var', value: 'data' },
      { type: 'string', value: 'foo' },
      { type: 'string', value: 'bar' },
    ]);
    expect(m.imports[0].path).toEqual({ type: 'ref', value: [{ type: 'var', value: 'data' }, { type: 'string', value: 'a' }] });
    expect(m.rules[0].head.name).toBe('p');
    expect(m.rules[0].body[0].terms[0]).toEqual({ type: 'ref', value: [{ type: 'var', value: 'eq' }] });
    expect(callError('rego.parse_module', ['x.rego', 'package foo.']).message).toContain('rego_parse_error: unexpected eof token: expected ident');
  });
});
