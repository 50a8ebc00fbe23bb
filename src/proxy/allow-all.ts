/**
 * The decision point mcp-warden ships before a policy is configured: every request allowed, nothing
 * hidden, nothing redacted. It returns one frozen Decision so that deciding costs nothing.
 */
import type { Decision, InterceptContext, PolicyDecider } from '../types.js';

const ALLOW: Decision = Object.freeze({
  allowed: true,
  reasons: Object.freeze([]) as unknown as string[],
  mode: 'enforce',
  policyVersion: 'allow-all',
  micros: 0,
}) as Decision;

export class AllowAllDecider implements PolicyDecider {
  readonly wantsResponsePhase = false;
  decide(_context: InterceptContext): Decision {
    return ALLOW;
  }
}
