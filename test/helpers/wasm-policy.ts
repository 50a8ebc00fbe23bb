/**
 * For the opa-wasm tests: assembles our WAT policy module (test/fixtures/opa-abi-policy.wat) with
 * the `wabt` package and packs files into a bundle.tar.gz the way `opa build` lays one out
 * (ustar entries /policy.wasm, /data.json, /.manifest, gzipped).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import wabtInit from 'wabt';

export async function assembleTestPolicy(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const path = new URL('../fixtures/opa-abi-policy.wat', import.meta.url);
  const module = wabt.parseWat('opa-abi-policy.wat', readFileSync(path, 'utf8'));
  try {
    module.validate();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

export function tarGz(files: Record<string, Uint8Array | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
    parts.push(tarHeader(name, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}
