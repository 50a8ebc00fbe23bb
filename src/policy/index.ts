/**
 * The decision point (PolicyDecider): loads the configured Rego policy (packs, files, data), turns
 * each InterceptContext into an input document, evaluates `deny`/`allow` (and `redact` at the
 * response phase) of one package, and returns a Decision that never throws (errors deny: fail
 * closed; with policy.builtinErrors strict, the default, a builtin's error is one of them). The policy in force is swapped atomically on reload (file watch, SIGHUP via reload()):
 * a policy that fails to load keeps the previous one; at startup it throws with file:line:col.
 * Contract for policy authors: docs/policy-contract.md.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log/logger.js';
import { builtinErrorsOf, policySchema, type PolicyConfig } from '../config/policy.js';
import type { CallFootprint, Decision, InterceptContext, PolicyDecider } from '../types.js';
import { evaluateVerdict, requestReasons } from './decision.js';
import { PolicyEvalError, type CompiledPolicy } from './engine.js';
import { engineFor } from './engines.js';
import { buildInput } from './input.js';
import { BUILTIN_PACKS_DIR, resolvePolicy } from './sources.js';
import { watchPolicyFiles, type PolicyWatcher } from './watch.js';
import { ErrorLog } from './error-log.js';

export { PolicyCompileError, PolicyEvalError } from './engine.js';
export { BUILTIN_PACKS_DIR } from './sources.js';

export type EnforcementMode = 'enforce' | 'shadow';

export interface PolicyDeciderOptions {
  logger?: Logger;
  /** Relative policy paths and data files are resolved against it (the config file's folder; default: cwd). */
  baseDir?: string;
  /** Where pack names are looked up (default: the packs shipped with mcp-warden). */
  packsDir?: string;
  /** Per-backend mode overrides (backends[].mode in the config). */
  backendModes?: Readonly<Record<string, EnforcementMode | undefined>>;
  /** Override policy.watch. */
  watch?: boolean;
  /** Reload on SIGHUP until close() (serve and wrap). */
  sighup?: boolean;
}

export type ReloadResult = { ok: true; version: string; changed: boolean } | { ok: false; version: string; error: string };

export interface PolicyDeciderHandle extends PolicyDecider {
  readonly wantsResponsePhase: boolean;
  /** Content hash of the policy in force. */
  readonly version: string;
  /** Reloads policy and data files; on failure keeps the policy in force. Never throws. */
  reload(): ReloadResult;
  close(): void;
}

/** Everything that changes together on reload: swapped as one reference. */
interface Loaded {
  compiled: CompiledPolicy;
  version: string;
  hasRedact: boolean;
  watched: string[];
  /** the decision every request gets, when the policy allows everything whatever the input */
  unconditionalAllow: Decision | undefined;
  /** PolicyDecider.pureDecisionEpoch: a new object per load, when request decisions are a function of their input */
  pureEpoch: object | undefined;
  /** PolicyDecider.pureDecisionFootprint: with pureEpoch, when what a tools/call decision observes is bounded */
  footprint: CallFootprint | undefined;
  /** PolicyDecider.argumentsRead: the arguments members allow/deny/redact can read, when bounded (pure or not) */
  argumentsRead: readonly string[] | undefined;
  /** with footprint.classes: whether a request decision for this input holds for its class (engine.ts ClassKeys) */
  byClass: ((input: Record<string, unknown>) => boolean) | undefined;
}

/** the decision package's rules that make a decision (their analysis decides unconditionalAllow) */
const DECISION_RULES = ['allow', 'deny', 'redact'] as const;
const NO_INPUT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

const UNDEFINED_BUILTIN_ERRORS_NOTE =
  'builtin errors are undefined (policy.builtinErrors: undefined, or engine wasm): an expression whose builtin fails is undefined, so a deny rule that relies on it does not deny';

const DEFAULT_PACK_NOTE = 'no policy named: using the default pack (read-only rules: reads allowed, writes and unclassified tools denied)';

class RegoPolicyDecider implements PolicyDeciderHandle {
  private loaded: Loaded;
  private watcher: PolicyWatcher | undefined;
  private readonly errors: ErrorLog;
  private readonly onSighup = (): void => {
    // An operator's explicit reload (systemctl reload) is answered in the log even when nothing changed.
    const result = this.reload();
    if (result.ok && !result.changed) this.options.logger?.info({ version: result.version }, 'policy reloaded on SIGHUP: unchanged');
  };

  constructor(
    private readonly config: PolicyConfig,
    private readonly options: PolicyDeciderOptions & { baseDir: string; packsDir: string },
  ) {
    this.errors = new ErrorLog(options.logger);
    this.loaded = this.load();
    const log = options.logger;
    if (log) {
      if (isDefaultPolicy(config)) log.info({ version: this.loaded.version }, `policy: ${DEFAULT_PACK_NOTE}`);
      const builtinErrors = builtinErrorsOf(config);
      log.info(
        { engine: config.engine, package: config.package, mode: config.mode, builtinErrors, version: this.loaded.version, policy: config.paths, data: config.dataFiles },
        'policy loaded',
      );
      if (builtinErrors === 'undefined') log.warn({ engine: config.engine, builtinErrors }, `policy: ${UNDEFINED_BUILTIN_ERRORS_NOTE}`);
    }
    if (options.watch ?? config.watch) this.startWatching();
    if (options.sighup) process.on('SIGHUP', this.onSighup);
  }

  get wantsResponsePhase(): boolean {
    return this.loaded.hasRedact;
  }

  get version(): string {
    return this.loaded.version;
  }

  get unconditionalAllow(): Decision | undefined {
    return this.loaded.unconditionalAllow;
  }

  get pureDecisionEpoch(): object | undefined {
    return this.loaded.pureEpoch;
  }

  get pureDecisionFootprint(): CallFootprint | undefined {
    return this.loaded.footprint;
  }

  get argumentsRead(): readonly string[] | undefined {
    return this.loaded.argumentsRead;
  }

  /** request decisions evaluated since the start (logged at debug level on close) */
  private requestDecisions = 0;

  /** the input of the last request decision and what decided it, while the policy has class keys (decidedByClass) */
  private lastInput: Record<string, unknown> | undefined;
  private lastLoaded: Loaded | undefined;

  decidedByClass(): boolean {
    const input = this.lastInput;
    const loaded = this.lastLoaded;
    this.lastInput = undefined;
    this.lastLoaded = undefined;
    // only for the policy in force (a reload since: not shown)
    return input !== undefined && loaded === this.loaded && loaded.byClass !== undefined && loaded.byClass(input);
  }

  private load(): Loaded {
    const resolved = resolvePolicy(this.config.paths, this.config.dataFiles, this.config.data, {
      engine: this.config.engine,
      baseDir: this.options.baseDir,
      packsDir: this.options.packsDir,
    });
    const strictBuiltinErrors = builtinErrorsOf(this.config) === 'strict';
    const compiled = engineFor(this.config.engine).compile(resolved.sources, resolved.data, this.config.package, { strictBuiltinErrors });
    const hasRedact = compiled.defines('redact');
    const unconditionalAllow = this.unconditional(compiled, resolved.version, hasRedact);
    // No response phase, and allow/deny (with all they reach) call no volatile builtin: an equal input gets an equal decision.
    // policy.reuseDecisions: false turns reuse off (every call evaluated): no epoch is offered then.
    const pureEpoch = this.config.reuseDecisions && !hasRedact && compiled.isPure?.(DECISION_RULES) === true ? { version: resolved.version } : undefined;
    // What of a tools/call's params allow/deny can observe (null: unbounded, keyed on all of params).
    // (Bounded or not whether decisions are reused: the members read are PolicyDecider.argumentsRead.)
    const bounded = compiled.inputFootprint?.(DECISION_RULES) ?? undefined;
    let footprint: CallFootprint | undefined = pureEpoch !== undefined ? bounded : undefined;
    // Which of its arguments members they observe only by class (PolicyDecider.decidedByClass).
    const classKeys = footprint !== undefined ? (compiled.classKeys?.(DECISION_RULES) ?? null) : null;
    if (classKeys !== null) footprint = { arguments: footprint!.arguments, params: footprint!.params, classes: classKeys.classes };
    const byClass = classKeys?.byClass;
    return { compiled, version: resolved.version, hasRedact, watched: resolved.watched, unconditionalAllow, pureEpoch, footprint, argumentsRead: bounded?.arguments, byClass };
  }

  /**
   * The allow every request gets when static analysis shows that allow and deny read no input, use
   * no `with` and call no time/random/network builtin, and they evaluate to allowed with no reason.
   * A response phase (redact), an engine without the analysis, or an error: undefined (evaluate
   * every request). The mode is the global one: an allow is forwarded in either mode, so a backend
   * override changes nothing about it.
   */
  private unconditional(compiled: CompiledPolicy, version: string, hasRedact: boolean): Decision | undefined {
    if (hasRedact || compiled.dependsOnInput === undefined || compiled.dependsOnInput(DECISION_RULES)) return undefined;
    try {
      const verdict = evaluateVerdict(compiled, NO_INPUT, 'request', this.config.package, false);
      if (!verdict.allowed || verdict.reasons.length > 0) return undefined;
    } catch {
      return undefined;
    }
    const reasons: string[] = Object.freeze([]) as unknown as string[];
    return Object.freeze({ allowed: true, reasons, mode: this.config.mode, policyVersion: version, micros: 0 });
  }

  decide(context: InterceptContext): Decision {
    const start = performance.now();
    const loaded = this.loaded;
    const mode = this.modeFor(context);
    this.lastInput = undefined;
    try {
      if (context.phase !== 'response') {
        // the request phase (every request): its reasons, and the decision built from them at once
        this.requestDecisions++;
        const input = buildInput(context);
        const reasons = requestReasons(loaded.compiled, input, this.config.package);
        // kept for decidedByClass (checked only if asked: the proxy asks for a decision it would keep)
        if (loaded.byClass !== undefined) {
          this.lastInput = input as Record<string, unknown>;
          this.lastLoaded = loaded;
        }
        return { allowed: reasons.length === 0, reasons, mode, policyVersion: loaded.version, micros: (performance.now() - start) * 1000 };
      }
      const verdict = evaluateVerdict(loaded.compiled, buildInput(context), context.phase, this.config.package, loaded.hasRedact);
      const decision: Decision = { allowed: verdict.allowed, reasons: verdict.reasons, mode, policyVersion: loaded.version, micros: 0 };
      if (verdict.redact !== undefined) decision.redact = verdict.redact;
      decision.micros = (performance.now() - start) * 1000;
      return decision;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.errors.report(loaded.version, message, context, err instanceof PolicyEvalError ? err.location : undefined);
      return {
        allowed: false,
        reasons: [`policy error: ${message}`],
        error: message,
        mode,
        policyVersion: loaded.version,
        micros: (performance.now() - start) * 1000,
      };
    }
  }

  private modeFor(context: InterceptContext): EnforcementMode {
    const name = context.backend?.name;
    if (name !== undefined) {
      const override = this.options.backendModes?.[name];
      if (override !== undefined) return override;
    }
    return this.config.mode;
  }

  reload(): ReloadResult {
    const previous = this.loaded;
    let next: Loaded;
    try {
      next = this.load();
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.options.logger?.error({ version: previous.version, error }, 'policy reload failed: keeping the policy in force');
      return { ok: false, version: previous.version, error };
    }
    const changed = next.version !== previous.version;
    this.loaded = next;
    previous.compiled.close?.();
    if (changed) this.options.logger?.info({ version: next.version, previous: previous.version }, 'policy reloaded');
    if (this.watcher && next.watched.join('\n') !== previous.watched.join('\n')) this.startWatching();
    return { ok: true, version: next.version, changed };
  }

  private startWatching(): void {
    this.watcher?.close();
    this.watcher = watchPolicyFiles(this.loaded.watched, () => this.reload(), this.options.logger);
  }

  close(): void {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
    this.watcher = undefined;
    // how many request decisions were evaluated (a decision the proxy reused is not: docs/policy-contract.md "Decisions reused")
    this.options.logger?.debug({ requestDecisions: this.requestDecisions }, 'policy closed');
  }
}

function isDefaultPolicy(config: PolicyConfig): boolean {
  return config.paths.length === 1 && config.paths[0] === 'default';
}

/**
 * Builds the decider from the `policy:` config section (partial sections get the schema defaults,
 * so `wrap --policy X --data F` passes `{ paths: [X], dataFiles: [F] }`). Throws
 * PolicyCompileError (message: file:line:col: problem) when the policy cannot be loaded.
 */
export function createPolicyDecider(policyConfig: Partial<PolicyConfig> | undefined, options: PolicyDeciderOptions = {}): PolicyDeciderHandle {
  const config = policySchema.parse(policyConfig ?? {});
  return new RegoPolicyDecider(config, {
    ...options,
    baseDir: options.baseDir ?? process.cwd(),
    packsDir: options.packsDir ?? BUILTIN_PACKS_DIR,
  });
}
