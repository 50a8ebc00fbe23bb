/**
 * Waiting on a condition instead of a guessed delay. A test that sleeps a fixed time and then
 * assumes something has happened (or is still going on) fails on a machine slower, busier or faster
 * than the one it was written on; this polls until the condition holds, with a deadline far past
 * any normal wait (it only bounds how long a broken build takes to fail).
 */

/** Generous deadline for something that normally takes milliseconds (a loaded 2-core CI box); under the 30 s test timeout, so the failure names what was awaited. */
export const PATIENCE_MS = 20_000;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check()` holds (polled every `everyMs`); throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = PATIENCE_MS, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
