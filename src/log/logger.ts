/**
 * log/: logging with pino, JSON to stderr (pretty when stderr is a TTY). stdout is never written: in stdio
 * mode it carries only the MCP protocol. Credentials are redacted by path wherever they could appear.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Paths that could carry a credential; pino replaces their values with "[redacted]". */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'token',
  'apiKey',
  'key',
  'secret',
  'password',
  '*.authorization',
  '*.token',
  '*.apiKey',
  '*.secret',
  '*.password',
  'env',
  '*.env',
  // identity: client credentials and the backend credentials mcp-warden holds
  'headers["proxy-authorization"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
  'bearerToken',
  '*.bearerToken',
  'stdioApiKey',
  '*.stdioApiKey',
  'apiKeys',
  '*.apiKeys',
  '*.*.secret',
  '*.*.bearerToken',
  '*.*.headers',
  '*.*.env',
  '*.*.stdioApiKey',
  '*.*.apiKeys',
  // a whole config logged as { config }: config.auth.jwt.secret, config.backends[i].bearerToken
  '*.*.*.secret',
  '*.*.*.bearerToken',
  '*.*.*.headers',
  '*.*.*.env',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Defaults to pretty output when stderr is a TTY. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.MCP_WARDEN_LOG_LEVEL as LevelWithSilent | undefined) || 'info');
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const base = { name: 'mcp-warden', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}
