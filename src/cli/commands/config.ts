/**
 * `mcp-warden config check FILE`: validate a warden.yaml and print what is wrong, key by key; the
 * TLS files it names (server.tls, backends[].tls, auth.jwt.jwksCaFile) are read and checked as serve does at start, and
 * the permissions of the config file itself and of the keys file (auth.keysFile) too: a file other
 * users may write is an error (exit 3, as serve refuses to start), a weaker one (a private key
 * readable by everyone) a warning line.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load.js';
import { JwtConfigError, loadJwksCa } from '../../identity/index.js';
import { keysFileTrust, untrustedKeysFileMessage } from '../../identity/keys-file-trust.js';
import { checkConfigFile } from '../config-trust.js';
import { CliError, EXIT } from '../errors.js';
import { checkTlsFiles } from '../tls.js';

export function register(program: Command): void {
  const config = program.command('config').description('work with warden.yaml configuration files');
  config
    .command('check')
    .description('validate a configuration file (exit 0 if valid, 3 if not)')
    .argument('<file>', 'path to warden.yaml')
    .action((file: string) => {
      const { config: cfg, baseDir, file: abs } = loadConfigFile(file);
      const warnings: string[] = checkConfigFile(abs, cfg);
      checkTlsFiles(cfg, baseDir, (w) => warnings.push(`${w.setting} ${w.file}: ${w.reason}`));
      const jwksCaFile = cfg.auth.jwt?.jwksCaFile;
      if (jwksCaFile !== undefined) {
        try {
          loadJwksCa(jwksCaFile, baseDir, (w) => warnings.push(w));
        } catch (err) {
          if (err instanceof JwtConfigError) throw new CliError(err.message, EXIT.CONFIG);
          throw err;
        }
      }
      if (cfg.auth.keysFile !== undefined) {
        const keysFile = resolve(baseDir, cfg.auth.keysFile);
        let trust;
        try {
          trust = keysFileTrust(keysFile);
        } catch (err) {
          throw new CliError(`auth.keysFile ${keysFile}: cannot check it: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.CONFIG);
        }
        if (trust.refused !== undefined) throw new CliError(`auth.keysFile ${keysFile}: ${untrustedKeysFileMessage(trust.refused, keysFile)}`, EXIT.CONFIG);
        if (trust.warning !== undefined) warnings.push(`auth.keysFile ${keysFile}: ${trust.warning}`);
      }
      for (const w of warnings) process.stderr.write(`${file}: warning: ${w}\n`);
      process.stderr.write(`${file}: ok (${cfg.backends.length} backend${cfg.backends.length === 1 ? '' : 's'})\n`);
    });
}
