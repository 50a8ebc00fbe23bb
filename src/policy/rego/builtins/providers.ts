/**
 * providers.aws.sign_req(request, aws_config, time_ns): AWS Signature Version 4 for an http.send
 * style request object, as OPA signs it (host, x-amz-date, x-amz-content-sha256 for s3/glacier,
 * x-amz-security-token; request headers signed except authorization/user-agent/x-amzn-trace-id;
 * `disable_payload_signing` gives UNSIGNED-PAYLOAD).
 */
import { createHash, createHmac } from 'node:crypto';
import { RObject, RSet, formatValue, objForEach, objGet, type Value } from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { obj, num, typeError, operandTypeError } from './operands.js';
import { marshalJSON } from './json-text.js';
import { UTC, inZone } from './gotime-civil.js';
import { formatTime } from './gotime-layout.js';

const REQUIRED_CONFIG = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

function setText(names: string[]): string {
  return formatValue(RSet.of(...names));
}

function hmac(key: Buffer | string, msg: string): Buffer {
  return createHmac('sha256', key).update(msg, 'utf8').digest();
}

interface ParsedURL {
  host: string;
  path: string;
  query: string;
}

/** the parts of Go's url.URL that signing uses: Host, EscapedPath(), RawQuery */
function parseURL(u: string): ParsedURL {
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?/.exec(u)!;
  const authority = m[1] ?? '';
  const host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
  const path = (m[2] ?? '').replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''),
  );
  return { host, path, query: m[3] ?? '' };
}

function signReq(args: Value[]): Value {
  const req = obj(args[0]!, 1);
  const cfg = obj(args[1]!, 1);
  const missing = REQUIRED_CONFIG.filter((k) => objGet(cfg, k) === undefined);
  if (missing.length > 0) throw typeError(`operand 2 missing required AWS config parameters(s): ${setText(missing)}`);
  const invalid = REQUIRED_CONFIG.filter((k) => typeof objGet(cfg, k) !== 'string');
  if (invalid.length > 0) throw typeError(`operand 2 invalid values for required AWS config parameters(s): ${setText(invalid)}`);
  const cfgStr = (k: string): string => {
    const v = objGet(cfg, k);
    return typeof v === 'string' ? v : '';
  };
  const service = cfgStr('aws_service');
  const ts = num(args[2]!, 1);
  const tsInt = typeof ts === 'number' ? (Number.isSafeInteger(ts) ? BigInt(ts) : null) : ts.int;
  if (tsInt === null || tsInt < 0n || tsInt >= 1n << 63n) throw typeError('operand 3 could not convert time_ns value into a unix timestamp');

  const reqMissing = ['method', 'url'].filter((k) => objGet(req, k) === undefined);
  if (reqMissing.length > 0) throw typeError(`operand 1 missing required request parameters(s): ${setText(reqMissing)}`);
  const headersV = objGet(req, 'headers');
  const headers = new Map<string, string>();
  if (headersV !== undefined) {
    if (headersV === null || typeof headersV !== 'object' || Array.isArray(headersV) || headersV instanceof RSet) {
      throw operandTypeError(0, headersV, 'object');
    }
    objForEach(headersV as never, (k, v) => {
      headers.set(typeof k === 'string' ? k : '', typeof v === 'string' ? v : '');
    });
  }
  const urlV = objGet(req, 'url');
  const methodV = objGet(req, 'method');
  const bad = [typeof methodV !== 'string' ? 'method' : '', typeof urlV !== 'string' ? 'url' : ''].filter((x) => x !== '');
  if (bad.length > 0) throw typeError(`operand 1 invalid values for required request parameters(s): ${setText(bad)}`);
  const url = parseURL(urlV as string);
  const method = methodV as string;

  const rawBody = objGet(req, 'raw_body');
  const body = objGet(req, 'body');
  const bodyText = rawBody !== undefined ? (typeof rawBody === 'string' ? rawBody : '') : body !== undefined ? marshalJSON(body) : '';

  const disableV = objGet(cfg, 'disable_payload_signing');
  if (disableV !== undefined && typeof disableV !== 'boolean') throw typeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
  const payloadHash = disableV === true ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(bodyText, 'utf8').digest('hex');

  const sec = Number(tsInt / 1_000_000_000n);
  const t = inZone(sec, 0, UTC);
  const dateNow = formatTime(t, '20060102');
  const isoNow = formatTime(t, '20060102T150405Z');
  const region = cfgStr('aws_region');
  const sessionToken = cfgStr('aws_session_token');

  const awsHeaders = new Map<string, string>([
    ['host', url.host],
    ['x-amz-date', isoNow],
  ]);
  if (service === 's3' || service === 'glacier') awsHeaders.set('x-amz-content-sha256', payloadHash);
  if (sessionToken !== '') awsHeaders.set('x-amz-security-token', sessionToken);

  const toSign = new Map<string, string>(awsHeaders);
  for (const [k, v] of headers) {
    const lk = k.toLowerCase();
    if (!IGNORED_HEADERS.has(lk)) toSign.set(lk, v);
  }
  const keys = [...toSign.keys()].sort();
  let canonical = method + '\n' + url.path + '\n' + url.query + '\n';
  for (const k of keys) canonical += k + ':' + toSign.get(k) + '\n';
  canonical += '\n' + keys.join(';') + '\n' + payloadHash;
  const scope = `${dateNow}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${isoNow}\n${scope}\n` + createHash('sha256').update(canonical, 'utf8').digest('hex');
  let key = hmac('AWS4' + cfgStr('aws_secret_access_key'), dateNow);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const signature = hmac(key, stringToSign).toString('hex');
  const auth = `AWS4-HMAC-SHA256 Credential=${cfgStr('aws_access_key')}/${scope},SignedHeaders=${keys.join(';')},Signature=${signature}`;

  const outHeaders = new RObject();
  for (const [k, v] of headers) outHeaders.set(k, v);
  outHeaders.set('Authorization', auth);
  for (const [k, v] of awsHeaders) outHeaders.set(k, v);
  const out = new RObject();
  objForEach(req, (k, v) => {
    out.set(k, v);
  });
  out.set('headers', outHeaders);
  return out;
}

export const builtins: BuiltinDef[] = [{ name: 'providers.aws.sign_req', arity: 3, fn: signReq }];
