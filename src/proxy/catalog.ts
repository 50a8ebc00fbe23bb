/**
 * What one client session has been shown: list answers rewritten for the client (namespaced names,
 * unambiguous resource URIs, composed cursors, items the policy would never allow hidden) and the
 * routes learned from them (which backend owns a resource URI or a URI template), and the resource
 * URIs backends gave in other answers (resource links: resource-links.ts). Used by the session for
 * every list answer, every answer that may carry resource URIs, and every request addressed by URI.
 */
import type { InterceptContext, ToolInfo } from '../types.js';
import type { BackendConnection } from './backend.js';
import { offers } from './initialize.js';
import { toToolInfo, type Exchange } from './intercept.js';
import { ALIAS_SCHEME, encodeCursor, Namespace, templateMatcher, type ResolvedName } from './namespace.js';
import { eachGivenUri, LinkedUris } from './resource-links.js';

export const LIST_METHODS: Readonly<Record<string, { key: string; capability: string }>> = {
  'tools/list': { key: 'tools', capability: 'tools' },
  'prompts/list': { key: 'prompts', capability: 'prompts' },
  'resources/list': { key: 'resources', capability: 'resources' },
  'resources/templates/list': { key: 'resourceTemplates', capability: 'resources' },
};

/** Decides one list item; true when the policy hides it. */
export type HideCheck = (ctx: InterceptContext) => boolean;

type Item = Record<string, unknown>;

export class Catalog {
  /** Client-visible resource URI -> owning backend index: the first to list it (several backends only). */
  private readonly uriOwner = new Map<string, number>();
  /** URIs given outside lists (resource links) -> the backend that gave them; bounded (several backends only). */
  private readonly linked = new LinkedUris();
  /** Per backend: URI templates it listed. */
  private readonly templates: Array<Map<string, RegExp>>;
  /** Task id -> the backend that created the task (several backends only). */
  private readonly tasks = new Map<string, number>();

  constructor(
    private readonly ns: Namespace,
    private readonly backends: ReadonlyArray<BackendConnection>,
  ) {
    this.templates = backends.map(() => new Map());
  }

  /** The next backend (from `from` on) that offers a list method's capability and is up; -1 if none. */
  nextListBackend(method: string, from: number): number {
    const capability = LIST_METHODS[method]!.capability;
    for (let i = from; i < this.backends.length; i++) {
      const b = this.backends[i]!;
      if (b.ready && offers(b.initResult, capability)) return i;
    }
    return -1;
  }

  /**
   * Rewrites a list answer in place: names, URIs, hidden items, and (several backends) the cursor.
   * `base` is the request context, reused for each item's 'list' decision.
   */
  rewriteList(b: BackendConnection, ex: Exchange, result: Item, hide: HideCheck): void {
    const method = ex.method;
    const spec = LIST_METHODS[method]!;
    const items = result[spec.key];
    const index = b.spec.index;
    const backendNext = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (Array.isArray(items)) {
      const kept: unknown[] = [];
      const tools: ToolInfo[] | undefined = method === 'tools/list' ? [] : undefined;
      for (const item of items as Item[]) {
        if (item === null || typeof item !== 'object') {
          kept.push(item);
          continue;
        }
        const ctx: InterceptContext = { ...ex.ctx, phase: 'list' };
        if (tools !== undefined) this.toolItem(b, item, ctx, tools);
        else if (method === 'prompts/list') this.promptItem(index, item, ctx);
        else if (method === 'resources/list') this.resourceItem(b, item, ctx);
        else this.templateItem(index, item, ctx);
        if (!hide(ctx)) kept.push(item);
      }
      result[spec.key] = kept;
      if (tools !== undefined) b.tools.remember(tools, ex.listFirstPage && backendNext === undefined);
    }
    if (!this.ns.multi) return;
    if (backendNext !== undefined) {
      result.nextCursor = encodeCursor(index, backendNext);
    } else {
      const following = this.nextListBackend(method, index + 1);
      if (following >= 0) result.nextCursor = encodeCursor(following, undefined);
      else delete result.nextCursor;
    }
  }

  private toolItem(b: BackendConnection, item: Item, ctx: InterceptContext, tools: ToolInfo[]): void {
    if (typeof item.name !== 'string') return;
    const info = toToolInfo(item, this.ns.exposed(b.spec.index, item.name));
    tools.push(info);
    ctx.tool = info;
    if (info.name !== info.backendName) item.name = info.name;
  }

  private promptItem(index: number, item: Item, ctx: InterceptContext): void {
    if (typeof item.name !== 'string') return;
    const shown = this.ns.exposed(index, item.name);
    item.name = shown;
    ctx.prompt = { name: shown };
  }

  private resourceItem(b: BackendConnection, item: Item, ctx: InterceptContext): void {
    if (typeof item.uri !== 'string') return;
    const uri = item.uri;
    let shown = uri;
    if (this.ns.multi) {
      // The first backend to show the client a URI (listed, or given as a link) owns it as it is;
      // another backend's same URI is shown aliased.
      // A URI in alias form is always shown under this backend's alias: as it is, it would route to
      // the backend it names, and a backend must not send the client's reads to another.
      const index = b.spec.index;
      const owner = uri.startsWith(ALIAS_SCHEME) ? -1 : (this.uriOwner.get(uri) ?? this.linked.get(uri));
      if (owner === undefined || owner === index) this.uriOwner.set(uri, index);
      else shown = Namespace.alias(b.name, uri);
      item.uri = shown;
    }
    ctx.resource = { uri: shown };
  }

  private templateItem(index: number, item: Item, ctx: InterceptContext): void {
    if (typeof item.name === 'string') item.name = this.ns.exposed(index, item.name);
    if (typeof item.uriTemplate === 'string') {
      const known = this.templates[index]!;
      if (!known.has(item.uriTemplate)) known.set(item.uriTemplate, templateMatcher(item.uriTemplate));
      // In alias form as listed, the URIs the client makes of it would route to the backend it names
      // (see resourceItem): shown under this backend's alias, they route here.
      const shown = this.ns.multi && item.uriTemplate.startsWith(ALIAS_SCHEME) ? Namespace.alias(this.backends[index]!.name, item.uriTemplate) : item.uriTemplate;
      item.uriTemplate = shown;
      ctx.resource = { uri: shown };
    }
  }

  /** The backend (and its own URI) for a client-visible resource URI. */
  resolveUri(uri: string): ResolvedName | undefined {
    if (!this.ns.multi) return { index: 0, name: uri };
    const aliased = this.ns.unalias(uri);
    if (aliased) return aliased;
    const owner = this.uriOwner.get(uri) ?? this.linked.get(uri);
    if (owner !== undefined) return { index: owner, name: uri };
    const byTemplate = this.templateOwner(uri);
    if (byTemplate !== undefined) return { index: byTemplate, name: uri };
    // A URI nobody listed or gave (a URI kept from an earlier session, a link forgotten) goes to the
    // one backend that offers resources, when only one does; with several, guessing one
    // (the first, as before) sent the read, and what it says, to a server that never claimed it.
    let only = -1;
    for (let i = 0; i < this.backends.length; i++) {
      if (!offers(this.backends[i]!.initResult, 'resources')) continue;
      if (only >= 0) return undefined;
      only = i;
    }
    return only >= 0 ? { index: only, name: uri } : undefined;
  }

  /** Remembers which backend created a task (a result carrying `task.taskId`). */
  rememberTask(result: Item, index: number): void {
    const task = result.task as Item | undefined;
    if (this.ns.multi && typeof task?.taskId === 'string') {
      if (this.tasks.size > 10_000) this.tasks.clear();
      this.tasks.set(task.taskId, index);
    }
  }

  taskOwner(taskId: string): number | undefined {
    return this.tasks.get(taskId);
  }

  /**
   * The URI the client is to use for a URI backend `index` gave it outside a list (a resource link,
   * a resources/read content, notifications/resources/updated), remembered as that backend's unless
   * another backend showed the client the same URI first: then its alias (mcp-warden:<backend>:<uri>),
   * which routes by itself. Unchanged with one backend.
   */
  clientUri(index: number, uri: string, later?: string[]): string {
    if (!this.ns.multi) return uri;
    // In alias form as given it would route to the backend it names (see resourceItem).
    if (uri.startsWith(ALIAS_SCHEME)) return Namespace.alias(this.backends[index]!.name, uri);
    // A URI another backend's template covers is that backend's already (reads of it went there).
    const owner = this.uriOwner.get(uri) ?? this.linked.get(uri) ?? this.templateOwner(uri);
    if (owner === undefined || owner === index) {
      if (!this.uriOwner.has(uri)) {
        if (later !== undefined) later.push(uri);
        else this.linked.remember(uri, index);
      }
      return uri;
    }
    return Namespace.alias(this.backends[index]!.name, uri);
  }

  /** The backend a URI routes to by template (resolveUri's order), if any. */
  private templateOwner(uri: string): number | undefined {
    for (let i = 0; i < this.templates.length; i++) {
      const known = this.templates[i]!;
      if (known.has(uri)) return i;
      for (const re of known.values()) if (re.test(uri)) return i;
    }
    return undefined;
  }

  /**
   * Remembers (and aliases, see clientUri) the resource URIs in backend `index`'s answer to `method`
   * (resource-links.ts). `requested`: the URI the client asked for (resources/read): a content under
   * that same URI is shown as the client asked for it and needs no remembering (it routes already).
   * True when the result gave a URI (the client is then sent the parsed result: resource-links.ts).
   * `later`: the URIs to remember are put there instead, for rememberLater once the answer is known
   * to reach the client (a response-phase deny withholds it: the client never saw them).
   */
  rememberGivenUris(index: number, method: string, result: Item, requested?: string, later?: string[]): boolean {
    if (!this.ns.multi) return false;
    const asked = requested === undefined ? undefined : (this.ns.unalias(requested)?.name ?? requested);
    return eachGivenUri(method, result, (uri) => (uri === asked ? requested! : this.clientUri(index, uri, later)));
  }

  /** Remembers as backend `index`'s the URIs rememberGivenUris put in `later` (its answer reaches the client). */
  rememberLater(index: number, later: readonly string[]): void {
    // Checked again: another answer may have shown one of them to the client meanwhile (none can
    // today, the session answering synchronously between the two calls, but cheap to keep exact).
    for (const uri of later) {
      const owner = this.uriOwner.get(uri) ?? this.linked.get(uri) ?? this.templateOwner(uri);
      if (owner === undefined || owner === index) {
        if (!this.uriOwner.has(uri)) this.linked.remember(uri, index);
      }
    }
  }
}
