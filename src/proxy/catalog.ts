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
import type { Logger } from '../log/logger.js';
import { LISTED_TEMPLATES_MAX, LISTED_URIS_MAX, ListedUris, warnOverCap, type ListedPage } from './listed-routes.js';
import { eachGivenUri, LINKED_URIS_MAX, LinkedUris } from './resource-links.js';

export const LIST_METHODS: Readonly<Record<string, { key: string; capability: string }>> = {
  'tools/list': { key: 'tools', capability: 'tools' },
  'prompts/list': { key: 'prompts', capability: 'prompts' },
  'resources/list': { key: 'resources', capability: 'resources' },
  'resources/templates/list': { key: 'resourceTemplates', capability: 'resources' },
};

/** Decides one list item; true when the policy hides it. */
export type HideCheck = (ctx: InterceptContext) => boolean;

type Item = Record<string, unknown>;

/** Per backend of a client session (several backends): how many routes are remembered (config resourceRoutes). */
export interface RouteLimits {
  /** Listed resource URIs (listed-routes.ts). */
  listedUris: number;
  /** Listed URI templates. */
  listedTemplates: number;
  /** URIs given outside lists (resource-links.ts). */
  givenUris: number;
}

export const DEFAULT_ROUTE_LIMITS: Readonly<RouteLimits> = Object.freeze({ listedUris: LISTED_URIS_MAX, listedTemplates: LISTED_TEMPLATES_MAX, givenUris: LINKED_URIS_MAX });

/** A list item shown aliased because its backend is past the cap (listed-routes.ts). */
const OVER = Symbol('over');

/**
 * The routes one answer would add (several backends), held until it is known whether the client gets
 * it (settle): the response phase may deny it, the audit may refuse its record (the client then gets
 * an error, never the answer). Meanwhile its URIs are reserved for its backend (another backend
 * giving one is shown aliased, as if it had been remembered) but route nowhere.
 */
export interface HeldRoutes {
  index: number;
  /** URIs given outside lists (resource links), for LinkedUris. */
  given: readonly string[];
  /** A list page's routes. */
  listed: ListedPage | undefined;
  /** Set when a redaction changed the answer: the URIs (and templates) the client is shown in it. */
  shown?: Set<string>;
}

export class Catalog {
  /** Client-visible resource URI -> owning backend index: the first to list it (several backends only); bounded per backend. */
  private readonly uriOwner: ListedUris;
  /** URIs given outside lists (resource links) -> the backend that gave them; bounded (several backends only). */
  private readonly linked: LinkedUris;
  /** Per backend: URI templates it listed (several backends only), at most limits.listedTemplates. */
  private readonly templates: Array<Map<string, RegExp>>;
  /** URIs held by answers not yet settled -> their backend and how many such answers hold them. */
  private readonly held = new Map<string, { index: number; n: number }>();
  /** Per backend: listed URIs and templates held by list pages not yet settled (for the caps). */
  private readonly heldListed: number[];
  private readonly heldTemplates: number[];
  /** Template pages not yet settled: the URIs their templates cover are reserved as the held URIs are. */
  private readonly heldTemplatePages = new Set<HeldRoutes>();

  constructor(
    private readonly ns: Namespace,
    private readonly backends: ReadonlyArray<BackendConnection>,
    private readonly limits: Readonly<RouteLimits> = DEFAULT_ROUTE_LIMITS,
  ) {
    this.templates = backends.map(() => new Map());
    this.uriOwner = new ListedUris(backends.length, limits.listedUris);
    this.linked = new LinkedUris(limits.givenUris);
    this.heldListed = backends.map(() => 0);
    this.heldTemplates = backends.map(() => 0);
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
   * `base` is the request context, reused for each item's 'list' decision. Returns the routes the
   * page adds (several backends), for hold and settle (remembered once the page reaches the client).
   */
  rewriteList(b: BackendConnection, ex: Exchange, result: Item, hide: HideCheck, logger?: Logger): ListedPage | undefined {
    const method = ex.method;
    const spec = LIST_METHODS[method]!;
    const items = result[spec.key];
    const index = b.spec.index;
    const backendNext = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    // Several backends: the routes of the items the client is shown (never a hidden one's).
    const page: ListedPage | undefined = this.ns.multi ? { uris: [], templates: [] } : undefined;
    let over = false;
    if (Array.isArray(items)) {
      const kept: unknown[] = [];
      const tools: ToolInfo[] | undefined = method === 'tools/list' ? [] : undefined;
      // several unprefixed backends: a prompt name is routed by the lists it is in (router.ts)
      const prompts: string[] | undefined = method === 'prompts/list' && this.ns.unprefixed.length > 1 ? [] : undefined;
      for (const item of items as Item[]) {
        if (item === null || typeof item !== 'object') {
          kept.push(item);
          continue;
        }
        const ctx: InterceptContext = { ...ex.ctx, phase: 'list' };
        let route: string | [string, RegExp] | typeof OVER | undefined;
        if (tools !== undefined) this.toolItem(b, item, ctx, tools);
        else if (method === 'prompts/list') {
          if (prompts !== undefined && typeof item.name === 'string') prompts.push(item.name);
          this.promptItem(index, item, ctx);
        }
        else if (method === 'resources/list') route = this.resourceItem(b, item, ctx, page);
        else route = this.templateItem(index, item, ctx, page);
        if (route === OVER) over = true;
        if (hide(ctx)) continue;
        kept.push(item);
        if (page === undefined || route === undefined || route === OVER) continue;
        if (typeof route === 'string') page.uris.push(route);
        else page.templates.push(route);
      }
      result[spec.key] = kept;
      if (tools !== undefined) b.tools.remember(tools, ex.listFirstPage && backendNext === undefined);
      if (prompts !== undefined) b.prompts.remember(prompts, ex.listFirstPage && backendNext === undefined);
    }
    if (over) {
      const uris = method === 'resources/list';
      warnOverCap(logger, b.name, uris ? 'resources' : 'resource templates', uris ? this.limits.listedUris : this.limits.listedTemplates);
    }
    if (!this.ns.multi) return undefined;
    if (backendNext !== undefined) {
      result.nextCursor = encodeCursor(index, backendNext);
    } else {
      const following = this.nextListBackend(method, index + 1);
      if (following >= 0) result.nextCursor = encodeCursor(following, undefined);
      else delete result.nextCursor;
    }
    return page;
  }

  /** Remembers the routes of a list page rewriteList returned, as backend `index`'s: the page reached the client. */
  private rememberListed(index: number, page: ListedPage, shown: Set<string> | undefined): void {
    for (const uri of page.uris) if (shown === undefined || shown.has(uri)) this.uriOwner.add(uri, index);
    const known = this.templates[index]!;
    for (const [template, re] of page.templates) {
      if (shown !== undefined && !shown.has(template)) continue;
      if (known.size < this.limits.listedTemplates && !known.has(template)) known.set(template, re);
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
    ctx.prompt = { name: shown, backend_name: item.name };
    item.name = shown;
  }

  /** The URI to remember as this backend's once shown (or OVER: shown aliased, past the cap). */
  private resourceItem(b: BackendConnection, item: Item, ctx: InterceptContext, page: ListedPage | undefined): string | typeof OVER | undefined {
    if (typeof item.uri !== 'string') return undefined;
    const uri = item.uri;
    let shown = uri;
    let route: string | typeof OVER | undefined;
    if (page !== undefined) {
      // The first backend to show the client a URI (listed, or given as a link) owns it as it is;
      // another backend's same URI is shown aliased.
      // A URI in alias form is always shown under this backend's alias: as it is, it would route to
      // the backend it names, and a backend must not send the client's reads to another.
      // Past this backend's cap (listed-routes.ts) a URI not remembered is shown aliased too: the
      // alias routes to it by itself, where the plain URI would be -32002 or claimed by another.
      const index = b.spec.index;
      const owner = uri.startsWith(ALIAS_SCHEME) ? -1 : (this.uriOwner.get(uri) ?? this.linked.get(uri) ?? this.held.get(uri)?.index);
      if (owner === index) {
        // Held by an answer of this backend not yet settled, it is room this page must have: that
        // answer may never reach the client (a refused record), and the page's URI then routes only
        // if remembered here.
        if (this.uriOwner.has(uri)) route = undefined; // remembered already
        else if (this.linked.get(uri) === index || this.uriOwner.hasRoom(index, page.uris.length + this.heldListed[index]!)) route = uri;
        else {
          shown = Namespace.alias(b.name, uri);
          route = OVER;
        }
      } else if (owner === undefined && this.uriOwner.hasRoom(index, page.uris.length + this.heldListed[index]!)) route = uri;
      else {
        shown = Namespace.alias(b.name, uri);
        if (owner === undefined) route = OVER;
      }
      item.uri = shown;
    }
    ctx.resource = { uri: shown, backend_uri: uri };
    return route;
  }

  /** The template to remember as this backend's once shown (or OVER: shown aliased, past the cap). */
  private templateItem(index: number, item: Item, ctx: InterceptContext, page: ListedPage | undefined): [string, RegExp] | typeof OVER | undefined {
    if (typeof item.name === 'string') item.name = this.ns.exposed(index, item.name);
    if (typeof item.uriTemplate !== 'string') return undefined;
    const template = item.uriTemplate;
    let route: [string, RegExp] | typeof OVER | undefined;
    // In alias form as listed, the URIs the client makes of it would route to the backend it names
    // (see resourceItem): shown under this backend's alias, they route here. So is one past this
    // backend's cap (listed-routes.ts): not remembered, the URIs made of it route by the alias.
    let aliased = page !== undefined && template.startsWith(ALIAS_SCHEME);
    if (page !== undefined && !aliased) {
      const known = this.templates[index]!;
      if (!known.has(template)) {
        if (known.size + page.templates.length + this.heldTemplates[index]! < this.limits.listedTemplates) route = [template, templateMatcher(template)];
        else {
          aliased = true;
          route = OVER;
        }
      }
    }
    const shown = aliased ? Namespace.alias(this.backends[index]!.name, template) : template;
    item.uriTemplate = shown;
    ctx.resource = { uri: shown, backend_uri: template };
    return route;
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
    // So is one a template page not yet settled covers (held: it may reach the client first).
    const owner = this.uriOwner.get(uri) ?? this.linked.get(uri) ?? this.held.get(uri)?.index ?? this.templateOwner(uri) ?? this.heldTemplateOwner(uri);
    if (owner === undefined || owner === index) {
      if (!this.uriOwner.has(uri)) {
        if (later !== undefined) later.push(uri);
        else this.linked.remember(uri, index);
      }
      return uri;
    }
    return Namespace.alias(this.backends[index]!.name, uri);
  }

  /** The backend whose template page, not yet settled, lists a template covering `uri`, if any. */
  private heldTemplateOwner(uri: string): number | undefined {
    for (const h of this.heldTemplatePages) {
      for (const [template, re] of h.listed!.templates) if (template === uri || re.test(uri)) return h.index;
    }
    return undefined;
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
   * `later`: the URIs to remember are put there instead, for hold and settle: remembered once the
   * answer reaches the client (a response-phase deny or a refused audit record withholds it).
   */
  rememberGivenUris(index: number, method: string, result: Item, requested?: string, later?: string[]): boolean {
    if (!this.ns.multi) return false;
    const asked = requested === undefined ? undefined : (this.ns.unalias(requested)?.name ?? requested);
    return eachGivenUri(method, result, (uri) => (uri === asked ? requested! : this.clientUri(index, uri, later)));
  }

  /**
   * Holds the routes an answer of backend `index` adds (the URIs rememberGivenUris put in `given`,
   * the page rewriteList returned) until settle: reserved for that backend, routed nowhere yet.
   */
  hold(index: number, given: readonly string[], listed: ListedPage | undefined): HeldRoutes | undefined {
    if (given.length === 0 && (listed === undefined || (listed.uris.length === 0 && listed.templates.length === 0))) return undefined;
    for (const uri of given) this.reserve(uri, index);
    const h: HeldRoutes = { index, given, listed };
    if (listed !== undefined) {
      for (const uri of listed.uris) this.reserve(uri, index);
      this.heldListed[index]! += listed.uris.length;
      this.heldTemplates[index]! += listed.templates.length;
      if (listed.templates.length > 0) this.heldTemplatePages.add(h);
    }
    return h;
  }

  /**
   * A redaction changed the answer `h` holds routes for: only what the client is still shown in the
   * redacted `result` is remembered (a masked URI names nothing the client can ask for, and its
   * original must not route as if the client had seen it).
   */
  redacted(h: HeldRoutes, method: string, result: Item): void {
    const shown = new Set<string>();
    const list = LIST_METHODS[method];
    if (list === undefined) {
      eachGivenUri(method, result, (uri) => (shown.add(uri), uri));
    } else if (Array.isArray(result[list.key])) {
      for (const item of result[list.key] as unknown[]) {
        if (item === null || typeof item !== 'object') continue;
        const { uri, uriTemplate } = item as Item;
        if (typeof uri === 'string') shown.add(uri);
        if (typeof uriTemplate === 'string') shown.add(uriTemplate);
      }
    }
    h.shown = shown;
  }

  /** The answer `h` holds routes for reached the client (remembered) or did not (only released). */
  settle(h: HeldRoutes, reached: boolean): void {
    const index = h.index;
    for (const uri of h.given) this.release(uri);
    const listed = h.listed;
    if (listed !== undefined) {
      for (const uri of listed.uris) this.release(uri);
      this.heldListed[index]! -= listed.uris.length;
      this.heldTemplates[index]! -= listed.templates.length;
      this.heldTemplatePages.delete(h);
    }
    if (!reached) return;
    if (listed !== undefined) this.rememberListed(index, listed, h.shown);
    for (const uri of h.given) {
      if (h.shown !== undefined && !h.shown.has(uri)) continue;
      // No other backend was shown it plain meanwhile (held: reserved); a template listed since does
      // not take it: the client saw it plain as this backend's (links route before templates).
      if (this.uriOwner.has(uri)) continue;
      const owner = this.linked.get(uri);
      if (owner === undefined || owner === index) this.linked.remember(uri, index);
    }
  }

  private reserve(uri: string, index: number): void {
    const h = this.held.get(uri);
    if (h === undefined) this.held.set(uri, { index, n: 1 });
    else h.n++;
  }

  private release(uri: string): void {
    const h = this.held.get(uri);
    if (h !== undefined && --h.n === 0) this.held.delete(uri);
  }
}
