/**
 * Reads a Decision out of the compiled policy for one input document: `deny` first (any reason
 * denies, and then `allow` need not be evaluated), then `allow` (only the value true allows:
 * undefined or anything else fails closed, with a reason saying so). At the response phase only
 * `deny` (withhold the result) and `redact` (mask fields before the client sees them) count; the
 * request was already allowed.
 */
import type { Phase, RedactRule } from '../types.js';
import type { CompiledPolicy } from './engine.js';
import type { InputDocument } from './input.js';

export interface Verdict {
  allowed: boolean;
  reasons: string[];
  redact?: RedactRule[];
}

const NO_REASONS: string[] = [];

function reasonText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** deny's value as reasons: a set (array) of messages; any other defined, non-false value denies too (`packageName`: its package, named in the reason of a bare true). */
export function denyReasons(value: unknown, packageName: string): string[] {
  if (value === undefined || value === false || value === null) return NO_REASONS;
  if (Array.isArray(value)) return value.length === 0 ? NO_REASONS : value.map(reasonText);
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? NO_REASONS : keys.map((k) => `${k}: ${reasonText((value as Record<string, unknown>)[k])}`);
  }
  return [value === true ? `denied by data.${packageName}.deny` : reasonText(value)];
}

/** redact's value: a set of objects {field, pattern, replacement} or of strings (field names). */
export function redactRules(value: unknown): RedactRule[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const rules: RedactRule[] = [];
  for (const item of value) {
    if (typeof item === 'string') {
      rules.push({ field: item });
    } else if (item !== null && typeof item === 'object') {
      const { field, pattern, replacement } = item as Record<string, unknown>;
      const rule: RedactRule = {};
      if (typeof field === 'string') rule.field = field;
      if (typeof pattern === 'string') rule.pattern = pattern;
      if (typeof replacement === 'string') rule.replacement = replacement;
      if (rule.field !== undefined || rule.pattern !== undefined) rules.push(rule);
    }
  }
  return rules.length > 0 ? rules : undefined;
}

export function evaluateVerdict(policy: CompiledPolicy, input: InputDocument, phase: Phase, packageName: string, hasRedact: boolean): Verdict {
  if (phase === 'response') {
    const values = policy.evaluatePhase
      ? policy.evaluatePhase('response', input)
      : { deny: policy.evaluate('deny', input), redact: hasRedact ? policy.evaluate('redact', input) : undefined };
    const reasons = denyReasons(values.deny, packageName);
    const verdict: Verdict = { allowed: reasons.length === 0, reasons };
    const redact = redactRules(values.redact);
    if (redact !== undefined) verdict.redact = redact;
    return verdict;
  }
  const reasons = requestReasons(policy, input, packageName);
  return { allowed: reasons.length === 0, reasons };
}

/**
 * The request phase's verdict as its reasons: none is allowed (allow is true and nothing denies),
 * else why not (deny's reasons, or that allow is not true). No Verdict object: the decision is
 * built from them directly on every request.
 */
export function requestReasons(policy: CompiledPolicy, input: InputDocument, packageName: string): string[] {
  let allow: unknown;
  let reasons: string[];
  if (policy.evaluatePhase) {
    const values = policy.evaluatePhase('request', input);
    reasons = denyReasons(values.deny, packageName);
    allow = values.allow;
  } else {
    // deny first: any reason denies, and then allow need not be evaluated.
    reasons = denyReasons(policy.evaluate('deny', input), packageName);
    if (reasons.length === 0) allow = policy.evaluate('allow', input);
  }
  if (reasons.length > 0) return reasons;
  if (allow === true) return NO_REASONS;
  const shown = allow === undefined ? 'undefined' : JSON.stringify(allow);
  return [`no allow rule matched (data.${packageName}.allow is ${shown})`];
}
