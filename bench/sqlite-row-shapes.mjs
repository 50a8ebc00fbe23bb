#!/usr/bin/env node
/**
 * SQLite's own CPU per audit row by the shape the row is stored in (bench/sqlite-row-shapes.c says
 * what each shape is): compiles that file against better-sqlite3's sqlite3.c with better-sqlite3's
 * compile options (once, cached in the temp directory; ~25 s), then runs every shape --rounds times
 * at each batch size, shapes in a rotating order within a round, each into a fresh file, and prints
 * the median µs of CPU per row and the median of each round's ratio to `wide` (the shipped layout)
 * measured in that same round. Needs a C compiler (cc), as `npm ci` does for the native addons.
 *   node bench/sqlite-row-shapes.mjs [--rows N] [--batches 2048,200] [--rounds N] [--shapes a,b]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const ROWS = Number(arg('rows', 200_000));
const BATCHES = arg('batches', '2048,200').split(',').map(Number);
const ROUNDS = Number(arg('rounds', 5));
const SHAPES = arg('shapes', 'wide,wide-noindex,narrow,line,batch').split(',');

const sqliteDir = path.join(path.dirname(createRequire(path.join(ROOT, 'package.json')).resolve('better-sqlite3/package.json')), 'deps');
const source = path.join(ROOT, 'bench/sqlite-row-shapes.c');
// better-sqlite3's compile options ('SQLITE_X=Y', one per line of deps/defines.gypi).
const defines = [...readFileSync(path.join(sqliteDir, 'defines.gypi'), 'utf8').matchAll(/'(SQLITE_[A-Z0-9_]+(?:=[^']*)?)'/g)].map((m) => `-D${m[1]}`);
const key = createHash('sha256').update(readFileSync(source)).update(readFileSync(path.join(sqliteDir, 'sqlite3/sqlite3.c'))).update(defines.join(' ')).digest('hex').slice(0, 16);
const cacheDir = path.join(tmpdir(), 'mcp-warden-bench');
const binary = path.join(cacheDir, `sqlite-row-shapes-${key}`);
if (!existsSync(binary)) {
  mkdirSync(cacheDir, { recursive: true });
  process.stderr.write('compiling bench/sqlite-row-shapes.c with better-sqlite3\'s sqlite3.c (~25 s)...\n');
  execFileSync('cc', ['-O2', ...defines, `-I${path.join(sqliteDir, 'sqlite3')}`, source, path.join(sqliteDir, 'sqlite3/sqlite3.c'), '-o', `${binary}.tmp`, '-lpthread', '-lm', '-ldl'], { stdio: 'inherit' });
  execFileSync('mv', [`${binary}.tmp`, binary]);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const dir = mkdtempSync(path.join(tmpdir(), 'warden-row-shapes-'));
try {
  console.log(`SQLite alone, µs CPU per row: ${ROWS} rows per run, ${ROUNDS} rounds, shapes in rotating order; ratio = shape ÷ wide in the same round`);
  for (const batch of BATCHES) {
    const per = Object.fromEntries(SHAPES.map((s) => [s, []]));
    const ratios = Object.fromEntries(SHAPES.map((s) => [s, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = SHAPES.map((_, i) => SHAPES[(i + r) % SHAPES.length]);
      const round = {};
      for (const shape of order) {
        const out = execFileSync(binary, [shape, String(batch), String(ROWS), dir], { encoding: 'utf8' }).trim().split(' ');
        round[shape] = Number(out[2]);
        per[shape].push(round[shape]);
      }
      if (round.wide !== undefined) for (const shape of SHAPES) ratios[shape].push(round[shape] / round.wide);
    }
    console.log(`batches of ${batch}:`);
    for (const shape of SHAPES) {
      const ratio = ratios[shape].length ? `  ÷ wide ${median(ratios[shape]).toFixed(2)}x (${Math.min(...ratios[shape]).toFixed(2)}-${Math.max(...ratios[shape]).toFixed(2)})` : '';
      console.log(`  ${shape.padEnd(13)} ${median(per[shape]).toFixed(2)} µs/row${ratio}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
