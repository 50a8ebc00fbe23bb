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

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The log level: `log.level` from warden.yaml when the file sets it, else $MCP_WARDEN_LOG_LEVEL
 * (the container image sets it), else info. Throws, naming the variable, on a level pino does not know.
 */
export function resolveLogLevel(configured: LevelWithSilent | undefined, env: NodeJS.ProcessEnv = process.env): LevelWithSilent {
  if (configured !== undefined) return configured;
  const fromEnv = env.MCP_WARDEN_LOG_LEVEL;
  if (fromEnv === undefined || fromEnv === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(fromEnv)) {
    throw new Error(`MCP_WARDEN_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got '${fromEnv}'`);
  }
  return fromEnv as LevelWithSilent;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLogLevel(options.level);
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const base = { name: 'mcp-warden', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}
