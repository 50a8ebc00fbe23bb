/**
 * `mcp-warden config check FILE`: validate a warden.yaml and print what is wrong, key by key; the
 * TLS files it names (server.tls, backends[].tls) are read and checked as serve does at start.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { checkTlsFiles } from '../tls.js';

export function register(program: Command): void {
  const config = program.command('config').description('work with warden.yaml configuration files');
  config
    .command('check')
    .description('validate a configuration file (exit 0 if valid, 3 if not)')
    .argument('<file>', 'path to warden.yaml')
    .action((file: string) => {
      const { config: cfg, baseDir } = loadConfigFile(file);
      checkTlsFiles(cfg, baseDir);
      process.stderr.write(`${file}: ok (${cfg.backends.length} backend${cfg.backends.length === 1 ? '' : 's'})\n`);
    });
}
