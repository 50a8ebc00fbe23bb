/** Reading configured claims from a verified JWT payload: dotted paths, role lists, scopes. */

/** Value at a dotted path ("realm_access.roles"); a key containing the whole path wins (e.g. URL-named claims). */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A non-empty string (or a number, as text) at the path. */
export function claimString(payload: Record<string, unknown>, path: string): string | undefined {
  const value = claimAt(payload, path);
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Roles at the path: an array of strings, or a space-separated string (the `scope` claim). */
export function claimRoles(payload: Record<string, unknown>, path: string): string[] {
  const value = claimAt(payload, path);
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [];
}

/** Scopes granted by a token: `scope` (space-separated) or `scp` (array or string). */
export function tokenScopes(payload: Record<string, unknown>): string[] {
  const scope = claimRoles(payload, 'scope');
  return scope.length > 0 ? scope : claimRoles(payload, 'scp');
}
