/**
 * The seams where `wrap` and `serve` get their decision point, recorder and authenticator. Each is
 * one factory so the policy, audit and identity modules plug in with a one-line change here; until
 * they do, the defaults are allow-all, no audit, and the local user on stdio (anonymous on HTTP).
 */
import { userInfo } from 'node:os';
import type { WardenConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { AllowAllDecider } from '../proxy/allow-all.js';
import { NoopRecorder } from '../proxy/noop-recorder.js';
import type { AuthRequest, AuthResult, Authenticator, PolicyDecider, Recorder } from '../types.js';

export interface WiringContext {
  config: WardenConfig;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  logger: Logger;
}

export interface Wired {
  decider: PolicyDecider & { close?: () => void };
  recorder: Recorder;
  authenticator: Authenticator;
}

export function createPolicyDecider(_ctx: WiringContext): Wired['decider'] {
  return new AllowAllDecider();
}

export function createRecorder(_ctx: WiringContext): Recorder {
  return new NoopRecorder();
}

/** stdio clients are the local user; network clients are anonymous. */
class LocalAuthenticator implements Authenticator {
  private readonly user = safeUserName();
  authenticate(request: AuthRequest): AuthResult {
    if (request.transport === 'stdio') {
      return { ok: true, client: { id: `local:${this.user}`, name: this.user, auth: 'local', roles: [], claims: {} } };
    }
    return { ok: true, client: { id: 'anonymous', name: 'anonymous', auth: 'anonymous', roles: [], claims: {}, address: request.address } };
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}

export function createAuthenticator(_ctx: WiringContext): Authenticator {
  return new LocalAuthenticator();
}

export function wire(ctx: WiringContext): Wired {
  return { decider: createPolicyDecider(ctx), recorder: createRecorder(ctx), authenticator: createAuthenticator(ctx) };
}
