/**
 * `mcp-warden policy check|eval|test`: the Rego engine from the command line, like `opa check`,
 * `opa eval` and `opa test`. check: parse and compile, errors as file:line:col: message (exit 1).
 * eval: evaluate a query against -d policies/data and -i input, JSON result as opa eval prints it.
 * test: run test_* rules (PASS/FAIL/ERROR per test, -v for every test), exit 1 if any fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  compilePolicy,
  evalQuery,
  fromJS,
  loadPaths,
  LoadError,
  RegoCompileError,
  RegoEvalError,
  runTests,
  toJSON,
  type Policy,
} from '../../policy/rego/index.js';
import { packRegoFiles, shippedPacks } from '../../policy/sources.js';
import { CliError, EXIT } from '../errors.js';

/**
 * Paths as given, except that a bare name of a shipped pack that is not a file or folder here
 * stands for that pack (as in `wrap --policy` and policy.paths): its Rego and tests, and those of
 * the packs it includes, without its example data.
 */
function expand(paths: string[]): string[] {
  return paths.flatMap((p) => {
    if (existsSync(p)) return [p];
    const files = packRegoFiles(p);
    if (files !== undefined) return files;
    throw new CliError(`${p}: no such file or directory, and no pack of that name (packs: ${shippedPacks()})`, EXIT.USAGE);
  });
}

function load(paths: string[]): Policy {
  try {
    const { modules, data } = loadPaths(expand(paths));
    return compilePolicy(modules, { data });
  } catch (err) {
    if (err instanceof LoadError) throw new CliError(err.message, EXIT.USAGE);
    throw err;
  }
}

/** prints compile errors one per line; returns false if there were any */
function compiled(paths: string[], out: (s: string) => void): Policy | undefined {
  try {
    return load(paths);
  } catch (err) {
    if (err instanceof RegoCompileError) {
      for (const i of err.issues) out(`${i.file}:${i.line}:${i.col}: ${i.message}`);
      out(`${err.issues.length} error${err.issues.length === 1 ? '' : 's'} occurred`);
      return undefined;
    }
    throw err;
  }
}

function readInput(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file}: invalid JSON: ${(err as Error).message}`, EXIT.USAGE);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  const policy = program.command('policy').description('check, evaluate and test Rego policies');

  policy
    .command('check')
    .description('parse and compile Rego files (directories are searched recursively); errors as file:line:col: message')
    .argument('<paths...>', 'Rego files or directories, or names of shipped packs')
    .action((paths: string[]) => {
      const err = (s: string) => process.stderr.write(s + '\n');
      if (!compiled(paths, err)) throw new CliError('policy check failed', EXIT.CHECK_FAILED);
    });

  policy
    .command('eval')
    .description('evaluate a Rego query, like opa eval (JSON result)')
    .argument('<query>', 'Rego query, e.g. data.mcp.authz.allow')
    .option('-d, --data <path>', 'policy or data file or directory, or a shipped pack\'s name (repeatable)', collect, [] as string[])
    .option('-i, --input <file>', 'input document (JSON file, - for stdin)')
    .option('--strict-builtin-errors', 'builtin errors abort evaluation')
    .action((query: string, opts: { data: string[]; input?: string; strictBuiltinErrors?: boolean }) => {
      const err = (s: string) => process.stderr.write(s + '\n');
      const p = compiled(opts.data, err);
      if (!p) throw new CliError('policy eval failed: compile errors', EXIT.CHECK_FAILED);
      const input = opts.input !== undefined ? fromJS(readInput(opts.input)) : undefined;
      let rows;
      try {
        rows = evalQuery(p, query, { input, strict: opts.strictBuiltinErrors ?? false, print: (m) => err(m) });
      } catch (e) {
        if (e instanceof RegoCompileError) {
          for (const i of e.issues) err(`${i.file}:${i.line}:${i.col}: ${i.message}`);
          throw new CliError('policy eval failed: invalid query', EXIT.CHECK_FAILED);
        }
        if (e instanceof RegoEvalError) throw new CliError(e.message, EXIT.CHECK_FAILED);
        throw e;
      }
      const result = rows.map((r) => {
        const out: Record<string, unknown> = {
          expressions: r.expressions.map((x) => ({ value: toJSON(x.value), text: x.text, location: x.location })),
        };
        if (Object.keys(r.bindings).length) out.bindings = Object.fromEntries(Object.entries(r.bindings).map(([k, v]) => [k, toJSON(v)]));
        return out;
      });
      process.stdout.write(JSON.stringify(result.length ? { result } : {}, null, 2) + '\n');
    });

  policy
    .command('test')
    .description('run test_* rules in Rego files, like opa test')
    .argument('<paths...>', 'Rego files or directories (tests and the policies they test, data files), or names of shipped packs')
    .option('-v, --verbose', 'print every test, not only failures')
    .option('-r, --run <regex>', 'only run tests whose name matches')
    .action((paths: string[], opts: { verbose?: boolean; run?: string }) => {
      const out = (s: string) => process.stdout.write(s + '\n');
      const p = compiled(paths, (s) => process.stderr.write(s + '\n'));
      if (!p) throw new CliError('policy test failed: compile errors', EXIT.CHECK_FAILED);
      let filter: RegExp | undefined;
      try {
        filter = opts.run ? new RegExp(opts.run) : undefined;
      } catch (e) {
        throw new CliError(`--run: ${(e as Error).message}`, EXIT.USAGE);
      }
      const results = runTests(p, filter);
      let file = '';
      for (const r of results) {
        if (!opts.verbose && r.status === 'PASS') continue;
        if (r.file !== file) {
          file = r.file;
          out(`${file}:`);
        }
        out(`${r.name}: ${r.status} (${r.ms.toFixed(3)}ms)`);
        if (r.status === 'FAIL') out(`  ${r.file}:${r.line}: got ${r.value}`);
        if (r.status === 'ERROR') out(`  ${r.error}`);
        for (const line of r.output) out(`  ${line}`);
      }
      const passed = results.filter((r) => r.status === 'PASS').length;
      const failed = results.filter((r) => r.status === 'FAIL').length;
      const errors = results.filter((r) => r.status === 'ERROR').length;
      const skipped = results.filter((r) => r.status === 'SKIP').length;
      out('-'.repeat(80));
      if (passed) out(`PASS: ${passed}/${results.length}`);
      if (failed) out(`FAIL: ${failed}/${results.length}`);
      if (errors) out(`ERROR: ${errors}/${results.length}`);
      if (skipped) out(`SKIPPED: ${skipped}/${results.length}`);
      if (results.length === 0) out('no tests found');
      if (failed || errors) throw new CliError('policy test failed', EXIT.CHECK_FAILED);
    });
}
