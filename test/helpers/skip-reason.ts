/**
 * Conditional suites say why they skip: `runsUnless(file, reason)` prints "<file>: skipped: <reason>"
 * once when `reason` is set and returns whether the suite runs (for describe.runIf).
 */
export function runsUnless(file: string, reason: string | undefined): boolean {
  if (reason !== undefined) console.log(`${file}: skipped: ${reason}`);
  return reason === undefined;
}

/** The usual reason a mapped-journal suite cannot run here, or undefined. */
export function noMappedJournal(addon: { remap?: unknown } | undefined, needsRemap = false): string | undefined {
  if (process.platform !== 'linux') return `the mapped journal is for Linux (this is ${process.platform})`;
  if (addon === undefined) return 'the native journal addon is not built (npm ci builds it)';
  if (needsRemap && typeof addon.remap !== 'function') return 'the native journal addon has no remap() (rebuild it: npm run build:native)';
  return undefined;
}
