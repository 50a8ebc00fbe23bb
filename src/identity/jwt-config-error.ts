/** The error for an auth.jwt section that cannot work (unreadable key or CA file, algorithms that do not fit the key): exit 3 at start. */
export class JwtConfigError extends Error {
  override name = 'JwtConfigError';
}
