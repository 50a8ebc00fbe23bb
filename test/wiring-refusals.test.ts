/**
 * log.refusals is honoured by `wrap` as by `serve`: both wire their stages through cli/wiring.ts,
 * and only serve made the RefusalLog from the config (wrap's authenticator fell back to the
 * defaults, burst 10 per minute, whatever the config said). Now wire() makes it from the config
 * when the command did not, and wrap closes it at shutdown (the summary of what was left out).
 * Today a wrap process authenticates its one stdio client once, so at most one refusal line comes
 * from it; the wiring is what wrap runs, with a real authenticator, key store and pino logger.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.js';
import { generateApiKey, hashApiKey } from '../src/identity/index.js';
import { wire, type WiringContext, type Wired } from '../src/cli/wiring.js';

let wired: Wired | undefined;
let ctx: WiringContext | undefined;
afterEach(() => {
  wired?.decider.close?.();
  (wired?.authenticator as { close?: () => void } | undefined)?.close?.();
  ctx?.refusals?.close();
  wired = undefined;
  ctx = undefined;
});

describe('wire() (wrap and serve) honours log.refusals', () => {
  it('a context without a RefusalLog (wrap) gets one with the configured burst and interval, used by the authenticator', async () => {
    const revoked = generateApiKey();
    const config = validateConfig(
      {
        backends: [{ name: 'b', transport: 'stdio', command: 'true' }],
        auth: { apiKeys: [{ id: 'k_old', hash: hashApiKey(revoked), client: 'ops', roles: [], revoked: '2025-01-01T00:00:00Z' }] },
        audit: { enabled: false },
        policy: { paths: ['allow-all'], watch: false },
        log: { refusals: { burst: 2, intervalMs: 3_600_000 } },
      },
      '(test)',
    );
    const lines: Array<{ msg: string; suppressed?: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l) as { msg: string });
        done();
      },
    });
    ctx = { config, baseDir: process.cwd(), logger: pino({ level: 'info' }, sink), servesHttp: false };
    wired = wire(ctx);
    expect(ctx.refusals?.options).toEqual({ burst: 2, intervalMs: 3_600_000 });
    for (let i = 0; i < 5; i++) {
      const result = await wired.authenticator.authenticate({ transport: 'stdio', headers: { 'x-api-key': revoked } });
      expect(result).toMatchObject({ ok: false, message: 'API key revoked' });
    }
    ctx.refusals!.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const refused = lines.filter((l) => l.msg.startsWith('authentication refused'));
    // burst 2: two lines, then one summary of the three left out (the default burst of 10 logged all five).
    expect(refused.map((l) => l.msg)).toEqual(['authentication refused', 'authentication refused', 'authentication refused: 3 more like it suppressed']);
    expect(refused[2]!.suppressed).toBe(3);
  });

  it('a context that brings its own RefusalLog (serve, shared with the HTTP frontend) keeps it', async () => {
    const { RefusalLog } = await import('../src/log/refusal-log.js');
    const config = validateConfig({ backends: [{ name: 'b', transport: 'stdio', command: 'true' }], audit: { enabled: false }, policy: { paths: ['allow-all'], watch: false } }, '(test)');
    const own = new RefusalLog({ burst: 1, intervalMs: 1000 });
    ctx = { config, baseDir: process.cwd(), logger: pino({ level: 'silent' }), refusals: own };
    wired = wire(ctx);
    expect(ctx.refusals).toBe(own);
  });
});
