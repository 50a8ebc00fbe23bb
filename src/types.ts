/**
 * The contract between the stages of the request path, exported from one place.
 *
 * A message from an MCP client is identified (identity/ produces a ClientIdentity), described
 * (proxy/ builds an InterceptContext: who, which session, which backend, which tool with its
 * annotations), decided (policy/ implements PolicyDecider and returns a Decision), recorded
 * (audit/ implements Recorder and stores an AuditRecord) and then forwarded. proxy/ depends only on
 * these interfaces, never on the modules that implement them; cli/ wires the implementations in.
 * What mcp-warden presents to a backend (its own credential, never the client's) is computed by
 * identity/ as a BackendCredentialResolver and handed to the proxy the same way.
 */
import type { BackendConfig } from './config/backends.js';

/** How a peer is reached. */
export type TransportKind = 'stdio' | 'streamable-http' | 'sse';

/** How a client proved who it is. `certificate`: a verified TLS client certificate that auth.clientCertificates maps to a client. */
export type AuthMethod = 'anonymous' | 'api_key' | 'jwt' | 'local' | 'certificate';

/** Who is asking. `id` is stable across sessions and is what policies and the audit key on. */
export interface ClientIdentity {
  id: string;
  name: string;
  auth: AuthMethod;
  roles: string[];
  /** Verified JWT claims, the metadata bound to an API key, or a client certificate's public facts. Never the credential itself. */
  claims: Record<string, unknown>;
  /** Remote address for network transports. */
  address?: string;
  /** Identifier of the credential used (API key id, JWT jti/kid), safe to log. */
  credentialId?: string;
}

/**
 * A TLS client certificate that the handshake of the request's connection verified against
 * server.tls.caFile, as public facts (never key material). The transport sets it only for a
 * verified certificate; identity/ decides what (if anything) it identifies.
 */
export interface VerifiedClientCertificate {
  /** SHA-256 of the DER certificate, 64 lowercase hex digits. */
  fingerprint256: string;
  /** The subject, one line ("CN=ops-bot, O=Example"). */
  subject: string;
  /** The subject's commonName values (usually one). */
  commonNames: readonly string[];
  /** Subject alternative names by kind. */
  dns: readonly string[];
  uris: readonly string[];
  emails: readonly string[];
  issuer: string;
  serial: string;
  /** ISO 8601 end of the certificate's validity. */
  notAfter: string;
}

/** What a credential check sees: the transport's view of an incoming connection or request. */
export interface AuthRequest {
  transport: TransportKind;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  address?: string;
  /** The connection's client certificate, when one was verified (HTTPS with server.tls.caFile). */
  clientCertificate?: VerifiedClientCertificate;
}

export type AuthResult =
  | { ok: true; client: ClientIdentity }
  | {
      ok: false;
      /** 401: no or invalid credential (send WWW-Authenticate); 403: valid but not permitted here. */
      status: 401 | 403;
      /** Safe to show the client: never echoes the presented credential. */
      message: string;
      wwwAuthenticate?: string;
    };

export interface Authenticator {
  authenticate(request: AuthRequest): AuthResult | Promise<AuthResult>;
  /**
   * Whether the credential an identity was proven with still holds now (an API key not revoked,
   * expired or removed since; a JWT not past its exp). The HTTP frontends ask it for sessions that
   * keep a stream open to their client, which gets messages without making new requests.
   */
  stillValid?(client: ClientIdentity, now?: number): boolean;
}

/** A tool as the client sees it, with the backend's own definition. */
export interface ToolInfo {
  /** Client-visible (possibly namespaced) name. */
  name: string;
  /** The backend's own name for it. */
  backendName: string;
  title?: string;
  description?: string;
  annotations?: Record<string, unknown>;
  inputSchema?: unknown;
}

/** request: a client-to-server request; response: the backend's result before the client sees it; list: may this item be shown. */
export type Phase = 'request' | 'response' | 'list';

/** Which way a request goes: from the client to a backend, or from a backend to the client (sampling, elicitation, roots). */
export type Direction = 'client_to_server' | 'server_to_client';

/** Everything known about one message at one phase; policy/ turns it into the Rego input document. */
export interface InterceptContext {
  phase: Phase;
  method: string;
  /** Absent means client_to_server; the proxy sets server_to_client on requests a backend sends the client. */
  direction?: Direction;
  client: ClientIdentity;
  session: { id: string; transport: TransportKind; protocolVersion?: string };
  backend?: { name: string; transport: TransportKind };
  /** Raw params as the client sent them (before any renaming). */
  params?: Record<string, unknown>;
  tool?: ToolInfo;
  arguments?: unknown;
  /**
   * uri: as the client wrote it (or, for a list item, as shown to it: maybe an alias
   * mcp-warden:<backend>:<uri>); backend_uri: the URI the backend itself knows (what it is sent).
   */
  resource?: { uri: string; backend_uri: string };
  /** name: as the client wrote it (or, for a list item, as shown to it: maybe namespaced); backend_name: the backend's own. */
  prompt?: { name: string; backend_name: string };
  /** Only at the response phase. */
  result?: unknown;
}

/** A masking obligation from the policy, applied to results (and to audited payloads). */
export interface RedactRule {
  /** JSON path-ish field selector, e.g. "password" (any depth) or "content.0.text". */
  field?: string;
  /** RE2 pattern; matches are replaced in string values. */
  pattern?: string;
  replacement?: string;
}

export interface Decision {
  /** What the policy decided (allow and no deny reasons). */
  allowed: boolean;
  /** Deny reasons (empty when allowed). Evaluation errors appear here too, prefixed "policy error:". */
  reasons: string[];
  /** shadow: the proxy forwards even when !allowed and records the would-be decision. */
  mode: 'enforce' | 'shadow';
  /** Evaluation failed; allowed is false (fail closed). */
  error?: string;
  redact?: RedactRule[];
  /** Identifies the policy bundle in force (content hash), for the audit. */
  policyVersion: string;
  /** Time spent deciding, in microseconds. */
  micros: number;
}

export interface PolicyDecider {
  /** Must never throw: errors become a deny (fail closed). */
  decide(context: InterceptContext): Decision;
  /** When true, the proxy also calls decide() with phase 'response' (the result in context.result) before answering. */
  readonly wantsResponsePhase?: boolean;
  /**
   * Set (to the decision every request gets) while the policy in force allows every request whatever
   * its input: it reads no input, calls no non-deterministic builtin and has no response phase (e.g.
   * allow-all). Read it per request: a reload can change it. While it is set, the proxy may skip
   * building the input and evaluating, and forward a request it did not judge as the client's own bytes.
   */
  readonly unconditionalAllow?: Decision;
  /**
   * Set while every request decision is a function of the request's input document alone (the policy
   * in force calls no time, random, network or other volatile builtin, and has no response phase):
   * an object that stays the same until the policy or its data change (every reload gives a new one).
   * While it is the same object, the proxy may reuse a decision for a request whose input document is
   * equal to the one decided (docs/policy-contract.md, "Decisions reused").
   */
  readonly pureDecisionEpoch?: object;
  /**
   * Set (with pureDecisionEpoch, and replaced with it) when static analysis bounds what of a
   * tools/call's params the request decision can observe: the tool name, whether arguments is an
   * object (else all of it), these members of arguments and these members of params. Two calls of
   * one session equal in those get equal decisions (docs/policy-contract.md, "Decisions reused").
   */
  readonly pureDecisionFootprint?: CallFootprint;
  /**
   * The top-level members of a tools/call's arguments the policy's decisions can read, when static
   * analysis bounds them (whether or not decisions are reused; sorted). The proxy refuses a call
   * with an argument spelled like one of these but for case (src/proxy/argument-case.ts).
   */
  readonly argumentsRead?: readonly string[];
  /**
   * With pureDecisionFootprint.classes: whether the request decision decide() just returned (the
   * last call) holds for every call equal to it but for the class-keyed members of arguments, as
   * long as each of those has the same class (ArgumentClass); false when not shown. Read right after
   * decide(), once; answered only for the decision it just made.
   */
  decidedByClass?(): boolean;
}

/**
 * What the class of one member of params.arguments is made of (CallFootprint.classes): its JSON type
 * (absent, null, boolean, number, string, array, object); a boolean's value; a number's value when
 * numbersByValue; for a string, for each of these constants whether it starts with it, ends with it,
 * equals it (compared on UTF-8 bytes: the string's, unescaped, and the constant's).
 */
export interface ArgumentClass {
  readonly member: string;
  readonly prefixes: readonly string[];
  readonly suffixes: readonly string[];
  readonly equals: readonly string[];
  readonly numbersByValue: boolean;
}

/** The members of a tools/call's params a request decision can observe (PolicyDecider.pureDecisionFootprint). */
export interface CallFootprint {
  /** top-level members of params.arguments, sorted */
  readonly arguments: readonly string[];
  /** top-level members of params other than name and arguments, sorted */
  readonly params: readonly string[];
  /**
   * Members of arguments (among `arguments`) the decision observes only by their class: a decision
   * for which decidedByClass() said true holds for every call equal to it in all else, whose
   * arguments is an object, and whose each of these members has the same class.
   */
  readonly classes?: readonly ArgumentClass[];
}

/** The audit's view of a decision: shadow-deny means "denied by policy, forwarded because of shadow mode". */
export type AuditDecision = 'allow' | 'deny' | 'shadow-deny' | 'error';

/** How the request ended. */
export type AuditOutcome = 'ok' | 'tool_error' | 'rpc_error' | 'denied' | 'backend_unavailable' | 'cancelled' | 'timeout' | 'notification';

export interface AuditRecord {
  /** Milliseconds since the epoch when the request arrived. */
  time: number;
  clientId: string;
  clientName: string;
  authMethod: AuthMethod;
  /** The client's roles when the request arrived (ClientIdentity.roles); none or empty: stored as null. */
  roles?: readonly string[];
  sessionId: string;
  transport: TransportKind;
  backend?: string;
  method: string;
  requestId?: string | number;
  tool?: string;
  resource?: string;
  prompt?: string;
  /** Already redacted by the recorder's rules and the policy's obligations before storage. */
  arguments?: unknown;
  decision: AuditDecision;
  reasons: string[];
  policyVersion?: string;
  outcome: AuditOutcome;
  /** JSON-RPC error code when outcome is rpc_error. */
  errorCode?: number;
  errorMessage?: string;
  /** tools/call result flagged isError. */
  isError?: boolean;
  result?: unknown;
  /** JSON.stringify(result) when the proxy made it already (for the answer); the recorder then does not make it again. */
  resultJson?: string;
  decisionMicros: number;
  backendMicros?: number;
  requestBytes?: number;
  responseBytes?: number;
  /** Redaction rules from the policy decision to apply before storage. */
  redact?: RedactRule[];
}

/**
 * Sensitive field names as the raw path's byte scan looks for them (Recorder.rawNames): each is
 * looked for at one of its bytes, its anchor; `anchors[c]` is non-zero when byte c is some name's
 * anchor (either case), and matchesAround tells whether a name is written around the anchor byte
 * b[i] within the line b[start, end) (in any case, `-` for `_`). No anchor is a byte that valid JSON
 * holds outside strings (whitespace, punctuation, digits, the letters of true, false, null and exponents).
 */
export interface RawNames {
  readonly anchors: Uint8Array;
  matchesAround(b: Uint8Array, i: number, start: number, end: number): boolean;
}

export interface Recorder {
  /**
   * Accepts one record. Returns synchronously when the record is safely handed off (durable against
   * a crash of this process once it returns, or queued within the bound); returns a promise when
   * back-pressure applies or when the record is written together with others of the same turn,
   * which the caller awaits before answering. Throws (or rejects) when the record cannot be
   * accepted (journal write failed, or back-pressure with fail-closed): the caller must not answer.
   */
  record(entry: AuditRecord): void | Promise<void>;
  close(): Promise<void>;
  /** true: every record is dropped unread (auditing off), so the proxy need not build them. */
  readonly discardsRecords?: boolean;
  /**
   * Optional (the raw path): whether `text`, a request or answer line as it came, is certainly free
   * of every name the recorder redacts (written in any case or escape), so that it may be journaled
   * as it is. false: the call takes the usual path (parsed, redacted, then journaled).
   */
  rawSafe?(text: string): boolean;
  /**
   * Optional (the raw path): records a request nothing judged from its line and its answer's line as
   * they came (both passed rawSafe), with what is known without parsing them; the recorder builds,
   * redacts and caps the row later, off the call path. Returns and throws as record() does.
   */
  recordRaw?(head: RawRecordHead, time: number, backendMicros: number, request: string, requestBytes: number, answer: string, responseBytes: number): void | Promise<void>;
  /**
   * Optional (the raw path, on bytes): rawSafe of the UTF-8 line b[start, end); when it is raw-safe,
   * the length of its text (UTF-16 code units), else -1.
   */
  rawSafeBytes?(b: Buffer, start: number, end: number): number;
  /**
   * Optional (the raw path, on bytes): the names rawSafeBytes looks for, so that a scan the proxy
   * makes of a line anyway can look for them in the same pass (RawNames); present only when each of
   * them is looked for at a byte that valid JSON holds only inside strings.
   */
  readonly rawNames?: RawNames;
  /**
   * Optional (the raw path, on bytes): recordRaw of the request line request[requestStart,
   * requestEnd) and the answer line answer[answerStart, answerEnd), with their lengths as text
   * (from rawSafeBytes); the bytes are read before it returns. Returns and throws as record() does.
   */
  recordRawBytes?(
    head: RawRecordHead,
    time: number,
    backendMicros: number,
    request: Buffer,
    requestStart: number,
    requestEnd: number,
    requestChars: number,
    answer: Buffer,
    answerStart: number,
    answerEnd: number,
    answerChars: number,
  ): void | Promise<void>;
  /**
   * Optional (the raw path, in native code: native/raw_check.c): the verdict the proxy's scan of a
   * compactly written tools/call line b[start, end) gives with rawNames (distinct-keys.ts
   * distinctKeysToolCallRawSafe: its head before `from` holds the members in `seen`), made in one
   * native pass: the line's length, or one of RAW_VERDICT's codes found, declined or undecided.
   */
  rawToolCallScan?(b: Buffer, start: number, end: number, from: number, seen: number): number;
  /**
   * Optional (the raw path, in native code): the answer line answer[answerStart, answerEnd) checked
   * as the proxy's scan with rawNames does (hasDistinctKeysRawSafe) and, when that proves it and
   * finds no name, journaled with its request (an ASCII line that rawToolCallScan gave its length
   * for) in the same native call, as recordRawBytes would: RAW_VERDICT.recorded (answer now), or
   * another of RAW_VERDICT's codes saying why not (then nothing was recorded). Never throws.
   */
  recordRawAnswer?(
    head: RawRecordHead,
    time: number,
    backendMicros: number,
    request: Buffer,
    requestStart: number,
    requestEnd: number,
    answer: Buffer,
    answerStart: number,
    answerEnd: number,
  ): number;
}

/**
 * Codes of Recorder.rawToolCallScan and Recorder.recordRawAnswer (the first three are those of
 * distinct-keys.ts's scans: NAMES_FOUND, NAMES_DECLINED, NAMES_UNDECIDED).
 */
export const RAW_VERDICT = {
  /** recordRawAnswer: journaled; the answer may go out. */
  recorded: 0,
  /** Proven, but a redacted name (or an escape that could spell one) is written in the line. */
  found: -1,
  /** Not proven (not one JSON object in valid UTF-8, a name twice or escaped, too deep...). */
  declined: -2,
  /** Proven, nothing found, not ASCII: Recorder.rawSafeBytes decides (it decodes the line). */
  undecided: -3,
  /** recordRawAnswer: proven and raw-safe (its length: its bytes), not journaled here (no room, a number out of range): recordRawBytes. */
  notJournaled: -4,
  /** recordRawAnswer: not checked (closed, back-pressure): the proxy's own scan and recordRawBytes, as without it. */
  unchecked: -5,
} as const;

/** What a raw record (Recorder.recordRaw) shares with the other calls of its session and decision. */
export type RawRecordHead = Pick<
  AuditRecord,
  'clientId' | 'clientName' | 'authMethod' | 'roles' | 'sessionId' | 'transport' | 'backend' | 'decision' | 'reasons' | 'policyVersion' | 'decisionMicros'
>;

/**
 * What mcp-warden presents to one backend: its own configured credential, never the client's.
 * Computed once per backend when the proxy starts (not per message).
 */
export interface BackendCredentials {
  /** Every request header an HTTP backend gets (configured headers, `Authorization: Bearer`). Empty for stdio. */
  headers: Readonly<Record<string, string>>;
  /**
   * The complete environment of a stdio backend's child process: mcp-warden's own minus the client
   * credential variables (MCP_WARDEN_API_KEY, ...), plus the backend's configured `env`. Empty for HTTP.
   */
  env: Readonly<Record<string, string>>;
}

/** Implemented by identity/ (backendCredentialResolver); cli/ passes it to the proxy. */
export type BackendCredentialResolver = (backend: BackendConfig) => BackendCredentials;
