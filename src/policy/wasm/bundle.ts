/**
 * Reads an OPA bundle as `opa build -t wasm` writes it (bundle.tar.gz: /policy.wasm, /data.json,
 * /.manifest) with a minimal ustar reader: 512-byte headers, octal sizes, regular files only.
 * A bare policy.wasm is accepted too.
 */
import { gunzipSync } from 'node:zlib';

export interface WasmBundle {
  wasm: Uint8Array;
  /** data.json files merged at their folder's path (root data.json: the whole document). */
  data: Record<string, unknown>;
}

function cString(buf: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && buf[end] !== 0) end++;
  return Buffer.from(buf.subarray(start, end)).toString('utf8');
}

/** Entries of a tar archive: path (without leading "/" or "./") to contents. */
export function readTar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(cString(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = cString(header, 345, 155);
    let name = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'L') longName = cString(body, 0, size);
    else if (type === '0' || type === '\0' || type === '7') {
      if (longName !== undefined) name = longName;
      longName = undefined;
      files.set(name.replace(/^\.?\/+/, ''), body);
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function setAtPath(root: Record<string, unknown>, dir: string, value: unknown): void {
  const parts = dir.split('/').filter((p) => p !== '');
  if (parts.length === 0) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(root, value);
    return;
  }
  let node = root;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : (node[part] = {});
  }
  node[parts[parts.length - 1]!] = value;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function readBundle(bytes: Uint8Array, path: string): WasmBundle {
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return { wasm: bytes, data: {} };
  let tar: Uint8Array;
  try {
    tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  } catch (err) {
    throw new Error(`${path}: not a gzip bundle: ${(err as Error).message}`);
  }
  const files = readTar(tar);
  const wasm = files.get('policy.wasm');
  if (!wasm) throw new Error(`${path}: bundle has no policy.wasm (build it with: opa build -t wasm -e <entrypoint> ...)`);
  const data: Record<string, unknown> = {};
  for (const [name, body] of files) {
    if (name !== 'data.json' && !name.endsWith('/data.json')) continue;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(body).toString('utf8'));
    } catch (err) {
      throw new Error(`${path}: ${name}: invalid JSON: ${(err as Error).message}`);
    }
    setAtPath(data, name.slice(0, -'data.json'.length), value);
  }
  return { wasm, data };
}
