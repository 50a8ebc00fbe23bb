/**
 * The permissions of warden.yaml itself, checked by `serve`, `wrap --config` and `config check`
 * with the rule the keys file and TLS files follow (shared/file-trust.ts): whoever can write it
 * decides who is let in and what they may do (auth, policy, backends), so a config file other
 * users may write, or one in a directory others may write without the sticky bit, is refused
 * (exit 3, naming the fix). One
 * that holds a credential written into it (audit.chainKey, auth.jwt.secret, auth.stdioApiKey, a
 * backend's bearerToken: secret-env.ts) rather than referenced as ${NAME} is a secret file: readable
 * by every user, it is warned about. POSIX only.
 */
import { literalSecrets } from '../config/secret-env.js';
import type { WardenConfig } from '../config/schema.js';
import { fileTrust, trustFix } from '../shared/file-trust.js';
import { CliError, EXIT } from './errors.js';

/** Throws a CliError (exit 3) for a config file others may write; returns the warnings to say. */
export function checkConfigFile(file: string, config: WardenConfig): string[] {
  const literal = literalSecrets(config);
  let trust;
  try {
    trust = fileTrust(file, { secret: literal.length > 0, name: 'it' });
  } catch {
    // Read a moment ago: a stat failing now is not this check's to report.
    return [];
  }
  if (trust.refused !== undefined) {
    throw new CliError(`${file}: refused: ${trust.refused}: whoever can write the config file decides who is let in and what they may do; fix: ${trustFix(file, trust.refused)}`, EXIT.CONFIG);
  }
  return trust.warnings.map((w) =>
    w.includes('readable by every user')
      ? `${file}: ${w} and holds ${literal.join(', ')} written into it: put ${literal.length === 1 ? 'it' : 'them'} in the environment (\${NAME}), or chmod o-r ${file}`
      : `${file}: ${w}`,
  );
}
