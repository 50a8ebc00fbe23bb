/**
 * `mcp-warden wrap [options] -- <command> [args...]`: put mcp-warden in front of one stdio MCP
 * server. Our stdin/stdout face the client (stdout carries only the protocol); the command runs as a
 * child with our environment (minus client credential variables) and its stderr on ours. Its exit
 * ends us with its exit code; our SIGINT/SIGTERM, or the client closing stdin, end it.
 */
import { constants } from 'node:os';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, readFailure, validateConfig } from '../../config/load.js';
import type { WardenConfig } from '../../config/schema.js';
import { createLogger } from '../../log/logger.js';
import { WardenProxy } from '../../proxy/proxy.js';
import type { ChildExit } from '../../transport/child-process.js';
import { checkConfigFile } from '../config-trust.js';
import { CliError, EXIT } from '../errors.js';
import { openStdioSession, outputWritten } from '../run-stdio.js';
import { logLevel, proxyOptions, wire, type WiringContext } from '../wiring.js';

interface WrapOptions {
  policy?: string;
  data?: string[];
  builtinErrors?: string;
  audit?: string | false;
  config?: string;
  name: string;
}

/** The exit code that reports a child's end the way a shell would. */
export function exitCodeOf(exit: ChildExit | undefined): number {
  if (exit === undefined) return EXIT.RUNTIME;
  if (exit.error) {
    const code = (exit.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 127 : code === 'EACCES' ? 126 : EXIT.RUNTIME;
  }
  if (exit.code !== null) return exit.code;
  const signo = exit.signal ? constants.signals[exit.signal] : undefined;
  return signo ? 128 + signo : EXIT.RUNTIME;
}

function readRawConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${readFailure(err)}`]);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `invalid YAML: ${e.message.split('\n')[0]}`));
  const value = doc.toJS() as unknown;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
}

function buildConfig(opts: WrapOptions, command: string, args: string[]): { config: WardenConfig; baseDir: string; warnings: string[] } {
  const backend = { name: opts.name, transport: 'stdio' as const, command, args };
  let raw: Record<string, unknown>;
  let file = '(wrap options)';
  let baseDir = process.cwd();
  if (opts.config) {
    // Read without validating: the file's backends (if any) are replaced by the wrapped command.
    file = resolve(opts.config);
    baseDir = dirname(file);
    raw = readRawConfig(file);
  } else {
    raw = {};
  }
  raw.backends = [backend];
  const policy = { ...((raw.policy as Record<string, unknown> | undefined) ?? {}) };
  if (opts.policy) policy.paths = [opts.policy];
  if (opts.data && opts.data.length > 0) policy.dataFiles = opts.data;
  // validated with the rest of the section (policy.builtinErrors: strict | undefined)
  if (opts.builtinErrors !== undefined) policy.builtinErrors = opts.builtinErrors;
  raw.policy = policy;
  const audit = { ...((raw.audit as Record<string, unknown> | undefined) ?? {}) };
  if (opts.audit === false) audit.enabled = false;
  else if (typeof opts.audit === 'string') audit.path = opts.audit;
  raw.audit = audit;
  const config = validateConfig(raw, file);
  // As serve does: a config file other users may write is refused (exit 3); warnings logged once the logger is up.
  return { config, baseDir, warnings: opts.config ? checkConfigFile(file, config) : [] };
}

async function runWrap(commandLine: string[], opts: WrapOptions): Promise<void> {
  const [command, ...args] = commandLine;
  if (!command) throw new CliError('wrap: missing the server command (usage: mcp-warden wrap [options] -- <command> [args...])', EXIT.USAGE);
  const { config, baseDir, warnings } = buildConfig(opts, command, args);
  const logger = createLogger({ level: logLevel(config) });
  for (const w of warnings) logger.warn(w);
  const ctx: WiringContext = { config, baseDir, logger, servesHttp: false };
  const wired = wire(ctx);
  let exiting = false;
  /**
   * The backend's own end (it could not start, or exited by itself), as wrap's exit code: set when
   * it is reported, before the shutdown it schedules. The client's end of input may start a shutdown
   * first (its EOF and the spawn error read in one turn of the event loop): exit 0 would then say
   * the server ran, so that shutdown exits with this code too. Not set for an exit we asked for.
   */
  let backendCode: number | undefined;
  // A signal ends the wait for the client to read what is left of our output (shutdown).
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((resolve) => (signalled = resolve));

  /** Ends everything that keeps the process alive: the session and its backend, the audit writer, the policy watch. */
  const stop = async (): Promise<void> => {
    await proxy.close();
    await wired.recorder.close().catch(() => undefined);
    wired.decider.close?.();
    // The counts of refusal lines left out in the current interval (log.refusals), before the log is flushed.
    ctx.refusals?.close();
    logger.flush?.();
  };
  const shutdown = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await stop();
    // What the stdio client has not read yet still goes out (it may read slowly after closing its input).
    await outputWritten(process.stdout, signal);
    process.exit(code === EXIT.OK && backendCode !== undefined ? backendCode : code);
  };

  // The audit log can no longer record (logged at fatal level): every call is refused; stop, non-zero.
  ctx.onAuditFailure = () => void shutdown(EXIT.RUNTIME);

  const proxy = new WardenProxy({
    ...proxyOptions({ config, baseDir, logger }, wired),
    restartBackends: false,
    onBackendExit: (_backend, exit) => {
      if (exit?.error) process.stderr.write(`mcp-warden: cannot start '${command}': ${exit.error.message}\n`);
      backendCode = exitCodeOf(exit);
      // Let answers already queued (e.g. the initialize error) go out first.
      setImmediate(() => void shutdown(backendCode!));
    },
  });

  process.once('SIGINT', () => {
    signalled();
    void shutdown(130);
  });
  process.once('SIGTERM', () => {
    signalled();
    void shutdown(143);
  });
  try {
    await openStdioSession(proxy, wired.authenticator, config.server.maxMessageBytes, () => void shutdown(EXIT.OK));
  } catch (err) {
    // The client refused (auth configured, no valid stdio key): what wire() opened is closed, so
    // that the process exits with the error's code (3) instead of living on, serving nothing.
    exiting = true;
    await stop();
    throw err;
  }
}

export function register(program: Command): void {
  program
    .command('wrap')
    .description('run a stdio MCP server behind mcp-warden (prefix an mcpServers command with `mcp-warden wrap --`)')
    .argument('<command...>', 'the server command and its arguments (after --)')
    .option('--policy <pack-or-path>', 'policy pack name (policies/<name>) or .rego file/directory')
    .option('--data <file>', 'JSON/YAML data file for the policy (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--builtin-errors <mode>', "what a builtin's error in the policy does: strict (deny the request; the default) or undefined (OPA's default: the expression is undefined)")
    .option('--audit <path>', 'SQLite audit file (default from config: ./data/audit.db)')
    .option('--no-audit', 'do not record an audit log')
    .option('--config <file>', 'warden.yaml for policy, audit, auth and log settings (its backends are ignored)')
    .option('--name <name>', 'backend name used by policies and the audit', 'backend')
    // An option meant for the server, written without -- before the command, is taken as wrap's own.
    .showHelpAfterError('(run with --help for usage; the server command and its own options go after --: mcp-warden wrap [options] -- <command> [args...])')
    .addHelpText('after', '\nExample:\n  mcp-warden wrap --policy read-only -- npx -y @modelcontextprotocol/server-filesystem /tmp\n\nExit code: the server\'s own (128+N when it died of signal N), 127 if it cannot be found.')
    .action((commandLine: string[], opts: WrapOptions) => runWrap(commandLine, opts));
}
