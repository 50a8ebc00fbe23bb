/**
 * `mcp-warden audit query|tail|export|stats|verify`: read the audit database (read-only; the
 * running proxy keeps writing) to answer who called what, when, with which decision; follow new
 * rows; export OPA-style decision logs; count; and check the hash chain (exit 1 when tampered).
 * Every command takes --db PATH or --config FILE (default ./warden.yaml); with neither, and no
 * ./warden.yaml, it reads the database `serve` and `wrap` write when no config names one
 * (./data/audit.db), so the commands work as they stand in the directory the embedded default ran in.
 */
import { createWriteStream, existsSync, openSync, readFileSync, realpathSync, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ChainKeyError, openAuditReader, parseExpectedHead, toDecisionLog, type AuditFileReader, type AuditFilter } from '../../audit/index.js';
import { auditSchema } from '../../config/audit.js';
import { loadConfigSection } from '../../config/load.js';
import { chooseFormat, jsonText, parseTime, printable, tableRow, writeEntries, writeStats } from '../audit-output.js';
import { CliError, EXIT } from '../errors.js';

interface SourceOptions {
  db?: string;
  config?: string;
}

interface FilterOptions extends SourceOptions {
  client?: string;
  role?: string;
  tool?: string;
  backend?: string;
  decision?: string;
  method?: string;
  outcome?: string;
  since?: string;
  until?: string;
  text?: string;
}

interface FormatOptions {
  json?: boolean;
  ndjson?: boolean;
  table?: boolean;
}

/** The database path, the chain key and the policy package (for exports) from --db or the config file. */
function resolveSource(opts: SourceOptions & { keyEnv?: string }): { dbPath: string; chainKey?: string; policyPackage?: string } {
  let chainKey: string | undefined;
  if (opts.keyEnv) {
    chainKey = process.env[opts.keyEnv];
    if (!chainKey) throw new CliError(`--key-env: environment variable ${opts.keyEnv} is not set`, EXIT.USAGE);
  }
  if (opts.db) return { dbPath: resolve(opts.db), chainKey };
  const file = opts.config ?? (existsSync('warden.yaml') ? 'warden.yaml' : undefined);
  if (!file) {
    // The embedded default's database (serve and wrap without a config), when there is one here.
    const fallback = auditSchema.parse({}).path;
    if (existsSync(fallback)) return { dbPath: resolve(fallback), chainKey };
    throw new CliError(`no audit database given, and no ./warden.yaml nor ${fallback} (the default serve and wrap write) here: use --db PATH or --config FILE`, EXIT.USAGE);
  }
  // Only the audit section and policy.package: a variable elsewhere in the file (a backend's token) need not be set.
  const { value: audit, baseDir } = loadConfigSection(file, 'audit');
  const { value: policy } = loadConfigSection(file, 'policy', ['package']);
  return { dbPath: resolve(baseDir, audit.path), chainKey: chainKey ?? audit.chainKey, policyPackage: policy.package };
}

/** The audit database at `dbPath`, read-only; what is wrong with it (missing, a directory, not SQLite) as one line naming it. */
function openReader(dbPath: string, chainKey?: string): AuditFileReader {
  if (!existsSync(dbPath)) throw new CliError(`audit database ${dbPath} does not exist`, EXIT.RUNTIME);
  if (statSync(dbPath).isDirectory()) throw new CliError(`audit database ${dbPath} is a directory, not a file`, EXIT.RUNTIME);
  try {
    return openAuditReader(dbPath, { chainKey });
  } catch (err) {
    const message = (err as Error).message;
    throw new CliError(message.includes(resolve(dbPath)) ? message : `cannot read audit database ${dbPath}: ${message}`, EXIT.RUNTIME);
  }
}

/** `--output FILE` opened now (so that a path it cannot write is one line, before anything is read), as a stream. */
function outputFile(path: string, dbPath: string): WriteStream {
  // Opened for writing it is truncated: the database (or its write-ahead log) would be lost.
  const target = statSync(path, { throwIfNoEntry: false });
  if (target !== undefined) {
    for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
      const st = statSync(file, { throwIfNoEntry: false });
      if (st !== undefined && st.dev === target.dev && st.ino === target.ino) throw new CliError(`--output: ${path} is the audit database ${file} itself: not overwritten`, EXIT.USAGE);
    }
  }
  const journal = inJournal(path, dbPath);
  if (journal !== undefined) throw new CliError(`--output: ${path} is in the audit journal ${journal} (calls not yet in the database): not overwritten`, EXIT.USAGE);
  let fd: number;
  try {
    // Owner-only, as the database (a new file; an existing one keeps its mode): it holds who did what, arguments included.
    fd = openSync(path, 'w', 0o600);
  } catch (err) {
    throw writeFailed(path, err as Error);
  }
  const out = createWriteStream('', { fd });
  // A later write error (a full disk) rejects the pending drain or end; never an unhandled 'error' event.
  out.on('error', () => undefined);
  return out;
}

/**
 * The journal that `path` would overwrite, if any: a file in `<db>.journal/` (segments whose calls
 * the writer has not put into the database yet, and the journal's lock), or a journal an earlier
 * version left beside the database (`<db>.journal-*`). Folders compared by their real paths.
 */
function inJournal(path: string, dbPath: string): string | undefined {
  const real = (p: string): string | undefined => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const outDir = real(dirname(resolve(path)));
  if (outDir === undefined) return undefined;
  const journalDir = `${dbPath}.journal`;
  if (outDir === real(journalDir)) return journalDir;
  if (basename(path).startsWith(`${basename(dbPath)}.journal-`) && outDir === real(dirname(resolve(dbPath)))) return path;
  return undefined;
}

function writeFailed(path: string, err: Error): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  return new CliError(`cannot write ${path}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : err.message}`, EXIT.RUNTIME);
}

function withReader<T>(opts: SourceOptions & { keyEnv?: string }, fn: (reader: AuditFileReader, policyPackage?: string) => T): T {
  const { dbPath, chainKey, policyPackage } = resolveSource(opts);
  const reader = openReader(dbPath, chainKey);
  try {
    return fn(reader, policyPackage);
  } finally {
    reader.close();
  }
}

function toFilter(opts: FilterOptions): AuditFilter {
  return {
    client: opts.client,
    role: opts.role,
    tool: opts.tool,
    backend: opts.backend,
    decision: opts.decision,
    method: opts.method,
    outcome: opts.outcome,
    since: opts.since === undefined ? undefined : parseTime(opts.since, '--since'),
    until: opts.until === undefined ? undefined : parseTime(opts.until, '--until'),
    text: opts.text,
  };
}

function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new CliError(`${name}: expected a positive integer, got "${value}"`, EXIT.USAGE);
    return n;
  };
}

function sourceOptions(cmd: Command): Command {
  return cmd.option('--db <path>', 'audit database file').option('--config <file>', 'warden.yaml to read audit.path from (default ./warden.yaml)');
}

function filterOptions(cmd: Command): Command {
  return sourceOptions(cmd)
    .option('--client <id>', 'client id or name (* wildcard)')
    .option('--role <role>', 'one of the roles the client had (* wildcard)')
    .option('--tool <name>', 'tool name (* wildcard)')
    .option('--backend <name>', 'backend name')
    .option('--decision <list>', 'allow, deny, shadow-deny, error (comma-separated)')
    .option('--method <method>', 'JSON-RPC method, e.g. tools/call')
    .option('--outcome <outcome>', 'ok, tool_error, rpc_error, denied, backend_unavailable, cancelled, timeout')
    .option('--since <time>', 'from this time: ISO date, epoch ms, or a duration ago (15m, 2h, 7d)')
    .option('--until <time>', 'before this time (same forms as --since)')
    .option('--text <text>', 'free text contained in the (redacted) arguments');
}

function formatOptions(cmd: Command): Command {
  return cmd.option('--table', 'table output (default on a terminal)').option('--json', 'JSON array output').option('--ndjson', 'one JSON object per line (default when piped)');
}

function wrapFilterError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('unknown decision')) throw new CliError(`--decision: ${err.message}`, EXIT.USAGE);
    throw err;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function register(program: Command): void {
  const audit = program.command('audit').description('query, follow, export and verify the audit log');
  // `audit query | head`: a reader that stops reading ends the command quietly, not with an EPIPE stack trace.
  audit.hook('preAction', () => {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT.OK);
      throw err;
    });
  });

  formatOptions(filterOptions(audit.command('query')))
    .description('rows matching the filters, newest first')
    .option('--limit <n>', 'at most this many rows', positiveInt('--limit'), 50)
    .option('--asc', 'oldest first')
    .action((opts: FilterOptions & FormatOptions & { limit: number; asc?: boolean }) => {
      withReader(opts, (reader) => {
        const page = wrapFilterError(() => reader.query({ ...toFilter(opts), limit: opts.limit, order: opts.asc ? 'asc' : 'desc' }));
        writeEntries(page.rows, chooseFormat(opts));
      });
    });

  formatOptions(filterOptions(audit.command('tail')))
    .description('the newest rows, oldest first; with -f keep printing new rows')
    .option('-n, --lines <n>', 'how many rows to show first', positiveInt('--lines'), 10)
    .option('-f, --follow', 'wait for new rows')
    .option('--interval <ms>', 'poll interval with -f', positiveInt('--interval'), 250)
    .action(async (opts: FilterOptions & FormatOptions & { lines: number; follow?: boolean; interval: number }) => {
      const { dbPath } = resolveSource(opts);
      const reader = openReader(dbPath);
      const format = chooseFormat(opts) === 'json' ? 'ndjson' : chooseFormat(opts);
      try {
        const filter = toFilter(opts);
        const first = wrapFilterError(() => reader.query({ ...filter, limit: opts.lines })).rows.reverse();
        writeEntries(first, format);
        let cursor = first.length > 0 ? first[first.length - 1]!.seq : reader.meta().headSeq;
        let stop = false;
        const onSignal = (): void => {
          stop = true;
        };
        process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
        while (opts.follow && !stop) {
          await sleep(opts.interval);
          const page = reader.query({ ...filter, order: 'asc', cursor, limit: 1000 });
          if (page.rows.length === 0) continue;
          for (const row of page.rows) process.stdout.write(format === 'table' ? `${tableRow(row)}\n` : `${jsonText(row)}\n`);
          cursor = page.rows[page.rows.length - 1]!.seq;
        }
      } finally {
        reader.close();
      }
    });

  filterOptions(audit.command('export'))
    .description('write rows as NDJSON in the shape of OPA decision logs, oldest first')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--package <name>', 'policy package for the "path" field (default from the config, else mcp.authz)')
    .action(async (opts: FilterOptions & { output?: string; package?: string }) => {
      const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
      let count = 0;
      const { dbPath, policyPackage } = resolveSource(opts);
      const reader = openReader(dbPath);
      let out: NodeJS.WritableStream;
      try {
        out = opts.output ? outputFile(opts.output, dbPath) : process.stdout;
      } catch (err) {
        reader.close();
        throw err;
      }
      try {
        const filter = toFilter(opts);
        let cursor: number | undefined;
        for (;;) {
          const page = wrapFilterError(() => reader.query({ ...filter, order: 'asc', cursor, limit: 1000 }));
          let chunk = '';
          for (const row of page.rows) chunk += `${jsonText(toDecisionLog(row, { policyPackage: opts.package ?? policyPackage, version }))}\n`;
          // Respect the output's back-pressure so a large export does not pile up in memory.
          if (!out.write(chunk)) await once(out, 'drain').catch((err: Error) => Promise.reject(writeFailed(opts.output ?? 'stdout', err)));
          count += page.rows.length;
          if (page.nextCursor === undefined) break;
          cursor = page.nextCursor;
        }
      } finally {
        reader.close();
      }
      if (opts.output) {
        await new Promise<void>((res, rej) => (out as WriteStream).end((err?: Error | null) => (err ? rej(writeFailed(opts.output!, err)) : res())));
        process.stderr.write(`exported ${count} decision${count === 1 ? '' : 's'} to ${opts.output}\n`);
      }
    });

  formatOptions(filterOptions(audit.command('stats')))
    .description('counts by client, tool and decision')
    .option('--top <n>', 'at most this many groups in each list, the largest first (default: all)', positiveInt('--top'))
    .action((opts: FilterOptions & FormatOptions & { top?: number }) => {
      withReader(opts, (reader) => writeStats(wrapFilterError(() => reader.stats({ ...toFilter(opts), top: opts.top })), chooseFormat(opts)));
    });

  sourceOptions(audit.command('verify'))
    .description('check the hash chain; exit 1 and name the first changed, deleted or inserted row')
    .option('--json', 'print the result as JSON')
    .option('--key-env <name>', 'environment variable holding the chain key (default: audit.chainKey from the config)')
    .option('--expect <seq:hash>', 'a head an earlier verify printed (kept elsewhere): fail unless the chain still holds it')
    .action((opts: SourceOptions & { json?: boolean; keyEnv?: string; expect?: string }) => {
      let expect;
      try {
        expect = opts.expect === undefined ? undefined : parseExpectedHead(opts.expect);
      } catch (err) {
        throw new CliError(`--expect: ${(err as Error).message}`, EXIT.USAGE);
      }
      withReader(opts, (reader) => {
        let result;
        try {
          result = reader.verify(expect);
        } catch (err) {
          // The key id is read from the database: shown escaped, as every value of it below.
          if (err instanceof ChainKeyError) throw new CliError(`audit verify: ${printable(err.message)}`, EXIT.CONFIG);
          throw err;
        }
        const pending = reader.orphanedJournals();
        // Hashes and messages come from the file being checked, which whoever tampered with it wrote:
        // a terminal control in them (ESC[2K, CR) could erase the FAILED line and print "ok" over it.
        if (opts.json) process.stdout.write(`${jsonText({ ...result, orphanedJournals: pending })}\n`);
        else if (result.ok) {
          process.stdout.write(`ok: ${result.rows} rows verified (seq ${result.anchorSeq + 1}-${result.headSeq}), head ${result.headSeq}:${printable(result.headHash)}\n`);
        }
        if (pending > 0) {
          process.stderr.write(`note: ${pending} journal(s) of stopped mcp-warden processes not yet imported; the next mcp-warden to open this database imports them\n`);
        }
        if (!result.ok) {
          throw new CliError(`audit verify FAILED: ${printable(result.problem!.message)} (${result.rows} rows verified before it)`, EXIT.CHECK_FAILED);
        }
      });
    });
}
