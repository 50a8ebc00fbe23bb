import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { BigNum, RObject, RSet } from '../src/policy/rego/value/index.js';
import { call, callError, makeCtx } from './helpers/rego-builtin-call.js';

describe('json / yaml / base64 / hex / urlquery', () => {
  it('marshals like Go encoding/json (sorted keys, HTML escapes, exact numbers)', () => {
    expect(call('json.marshal', [[{ foo: RSet.of(3, 1, 2) }]])).toBe('[{"foo":[1,2,3]}]');
    expect(call('json.marshal', [{ b: '<&>', a: BigNum.fromBigInt(12345678901234567890n) }])).toBe('{"a":12345678901234567890,"b":"\\u003c\\u0026\\u003e"}');
    expect(call('json.marshal_with_options', [[1, 2], { prefix: 'JSON => ' }])).toBe('JSON => [\nJSON => \t1,\nJSON => \t2\nJSON => ]');
    expect(call('json.marshal_with_options', [[], { indent: '    ', prefix: '---' }])).toBe('---[]');
    expect(call('json.marshal_with_options', [[1], { pretty: false, indent: 'x' }])).toBe('[1]');
    expect(callError('json.marshal_with_options', [[], { bogus: true }])).toEqual({
      code: 'eval_type_error',
      message: 'operand 2 object contained unknown key "bogus"',
    });
  });

  it('unmarshals keeping big integers exact; Go-like syntax errors', () => {
    expect(call('json.unmarshal', ['{"n":12345678901234567890}'])).toEqual({ n: BigNum.fromBigInt(12345678901234567890n) });
    expect(callError('json.unmarshal', ['[1,']).message).toBe('unexpected end of JSON input');
    expect(callError('json.unmarshal', ['x']).message).toBe("invalid character 'x' looking for beginning of value");
    expect(call('json.is_valid', ['{"a":1}'])).toBe(true);
    expect(call('json.is_valid', ['{a:1}'])).toBe(false);
  });

  it('yaml round trip and error text', () => {
    expect(call('yaml.marshal', [{ b: [1, 2], a: 'x' }])).toBe('a: x\nb:\n- 1\n- 2\n');
    expect(call('yaml.unmarshal', ['a: [1, 2]\nb: {c: true}'])).toEqual({ a: [1, 2], b: { c: true } });
    expect(callError('yaml.unmarshal', ['[1,2,3']).message).toContain('yaml: line 1: did not find');
    expect(call('yaml.is_valid', ['a: b: c'])).toBe(false);
  });

  it('base64 is strict like Go; base64url adds padding', () => {
    expect(call('base64.encode', ['hello'])).toBe('aGVsbG8=');
    expect(call('base64.decode', ['aGVsbG8='])).toBe('hello');
    expect(callError('base64.decode', ['aGVsbG8'])).toEqual({ code: 'eval_builtin_error', message: 'illegal base64 data at input byte 4' });
    expect(call('base64.is_valid', ['aGVsbG8='])).toBe(true);
    expect(call('base64.is_valid', ['aGV$bG8='])).toBe(false);
    expect(call('base64url.encode', ['\xff\xfe?'])).toBe('w7_Dvj8=');
    expect(call('base64url.encode_no_pad', ['hello'])).toBe('aGVsbG8');
    expect(call('base64url.decode', ['aGVsbG8'])).toBe('hello');
    expect(call('hex.encode', ['hi'])).toBe('6869');
    expect(callError('hex.decode', ['6g']).message).toBe("encoding/hex: invalid byte: U+0067 'g'");
    expect(callError('hex.decode', ['686']).message).toBe('encoding/hex: odd length hex string');
  });

  it('urlquery follows net/url', () => {
    expect(call('urlquery.encode', ['a b&c=d/é'])).toBe('a+b%26c%3Dd%2F%C3%A9');
    expect(call('urlquery.decode', ['a+b%26c'])).toBe('a b&c');
    expect(callError('urlquery.decode', ['%zz']).message).toBe('invalid URL escape "%zz"');
    expect(call('urlquery.encode_object', [{ b: ['x y', 'z'], a: 'é' }])).toBe('a=%C3%A9&b=x+y&b=z');
    expect(call('urlquery.decode_object', ['a=1&a=2&b=%20'])).toEqual({ a: ['1', '2'], b: [' '] });
  });
});

describe('io.jwt.*', () => {
  const hsKey = { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };

  it('signs HS256 and EdDSA exactly as OPA (RFC 7515 test vectors)', () => {
    expect(call('io.jwt.encode_sign', [{ alg: 'HS256', typ: 'JWT' }, {}, hsKey])).toBe(
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8',
    );
    const ed = { kty: 'OKP', alg: 'EdDSA', crv: 'Ed25519', x: 'wEZFfoAj1rFKTLOOmjJjVZlCHwksuvMb2I5y_hg70E8', d: '9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk' };
    const tok = call('io.jwt.encode_sign', [{ alg: 'EdDSA', typ: 'JWT' }, { iss: 'joe' }, ed]) as string;
    const pub = JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: ed.x });
    expect(call('io.jwt.verify_eddsa', [tok, pub])).toBe(true);
  });

  it('verifies RS256/PS256/ES256 with PEM keys and JWKS, rejects tampering', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = rsa.privateKey.export({ format: 'jwk' });
    const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    for (const alg of ['RS256', 'PS256']) {
      const tok = call('io.jwt.encode_sign', [{ alg }, { sub: 'a' }, jwk as never]) as string;
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, [tok, pem])).toBe(true);
      const bad = tok.slice(0, tok.indexOf('.')) + '.eyJzdWIiOiJiIn0' + tok.slice(tok.lastIndexOf('.'));
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, [bad, pem])).toBe(false);
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const tok = call('io.jwt.encode_sign', [{ alg: 'ES256', kid: 'k1' }, { sub: 'a' }, ec.privateKey.export({ format: 'jwk' }) as never]) as string;
    const jwks = JSON.stringify({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' }] });
    expect(call('io.jwt.verify_es256', [tok, jwks])).toBe(true);
    expect(call('io.jwt.verify_rs256', [tok, pem])).toBe(false);
  });

  it('decode_verify checks signature, alg, iss, aud, exp and nbf against the query time', () => {
    const tok = call('io.jwt.encode_sign', [{ alg: 'HS256', typ: 'JWT' }, { iss: 'me', aud: ['x', 'y'], exp: 2000, nbf: 1000 }, { kty: 'oct', k: Buffer.from('s3cret').toString('base64url') }]) as string;
    const at = (sec: number) => makeCtx(BigInt(sec) * 1_000_000_000n);
    const ok = call('io.jwt.decode_verify', [tok, { secret: 's3cret', iss: 'me', aud: 'y' }], at(1500)) as unknown[];
    expect(ok[0]).toBe(true);
    expect(ok[2]).toEqual({ iss: 'me', aud: ['x', 'y'], exp: 2000, nbf: 1000 });
    const unverified = [false, new RObject(), new RObject()];
    expect(call('io.jwt.decode_verify', [tok, { secret: 's3cret' }], at(2000))).toEqual(unverified);
    expect(call('io.jwt.decode_verify', [tok, { secret: 's3cret' }], at(999))).toEqual(unverified);
    expect(call('io.jwt.decode_verify', [tok, { secret: 'wrong' }], at(1500))).toEqual(unverified);
    expect(call('io.jwt.decode_verify', [tok, { secret: 's3cret', alg: 'HS512' }], at(1500))).toEqual(unverified);
    expect((call('io.jwt.decode_verify', [tok, { secret: 's3cret', aud: 'x', time: 1500e9 }]) as unknown[])[0]).toBe(true);
    // a token with an audience is rejected when the constraints name none (OPA)
    expect(call('io.jwt.decode_verify', [tok, { secret: 's3cret', time: 1500e9 }])).toEqual(unverified);
    expect(callError('io.jwt.decode_verify', [tok, {}]).message).toBe('no key constraint');
    expect(callError('io.jwt.decode_verify', [tok, { secret: 'a', bogus: 1 }]).message).toBe('unknown token validation constraint: bogus');
  });

  it('decode returns header, payload and hex signature; malformed tokens error', () => {
    const tok = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8';
    const [h, p, s] = call('io.jwt.decode', [tok]) as unknown[];
    expect(h).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(p).toEqual({});
    expect(s).toBe(Buffer.from('6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8', 'base64url').toString('hex'));
    expect(callError('io.jwt.decode', ['a.b']).message).toBe('encoded JWT must have 3 sections, found 2');
    expect(callError('io.jwt.decode', ['nodots']).message).toBe('encoded JWT had no period separators');
    expect(callError('io.jwt.encode_sign_raw', ['', '{}', JSON.stringify(hsKey)]).message).toBe(
      "missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string",
    );
    expect(callError('io.jwt.encode_sign_raw', ['{"typ":"JWT","alg":"HS256"}', 'e', JSON.stringify(hsKey)]).message).toBe(
      'type is JWT but payload is not JSON',
    );
  });
});
