#!/usr/bin/env node
/**
 * cli/: the mcp-warden command line, and the only place that wires the stages together. main.ts
 * parses arguments with commander and dispatches to the command modules in commands/; wiring.ts
 * builds the identity/, policy/ and audit/ implementations (authenticator, decider, recorder,
 * backend credentials) that wrap and serve hand to the proxy and transports through the interfaces
 * in ../types.ts. Errors print as one line (a stack trace only with --debug) and map to the exit
 * codes in errors.ts.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { commandModules } from './commands/index.js';
import { CliError, EXIT } from './errors.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('mcp-warden')
    .description('Security proxy for the Model Context Protocol: identity, Rego policy and audit in front of any MCP server')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const mod of commandModules) mod.register(program);
  return program;
}

function report(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or help/version output).
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`mcp-warden: invalid configuration:\n${err.message}\n`);
    return EXIT.CONFIG;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mcp-warden: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return err instanceof CliError ? err.exitCode : EXIT.RUNTIME;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = report(err, argv.includes('--debug'));
  }
}

await main(process.argv);
