/**
 * Resource URIs a backend gave the client outside its lists, remembered so that a later request for
 * one (resources/read, subscribe, unsubscribe, a completion ref) goes to the backend that gave it.
 * MCP tools return `resource_link` content items (and embedded `resource` items) whose URIs a client
 * reads without listing first; prompts may carry them too; a resources/read answer names the URIs
 * of its contents; notifications/resources/updated names a URI. With several backends none of these
 * is in a list, so the session could not tell which backend owns the URI (-32002 'Resource not
 * found'). The memory is per session and bounded: at most LINKED_URIS_MAX URIs per backend, the one
 * it gave least recently forgotten first (a URI given again is renewed), and a URI longer than
 * LINKED_URI_MAX_CHARS is not remembered; a forgotten URI is routed as if never given (listed,
 * template, or the one backend with resources). Only answers the session parses anyway are read
 * (several backends: every answer is parsed), so nothing here touches the unparsed answer path.
 */

/** At most this many URIs remembered per backend of a client session, unless configured (resourceRoutes.givenUris). */
export const LINKED_URIS_MAX = 1000;
/** A longer URI is not remembered. */
export const LINKED_URI_MAX_CHARS = 4096;

type Item = Record<string, unknown>;

/**
 * URI -> index of the backend that gave it. Bounded per backend (each its own queue, oldest given
 * first): a backend giving many links forgets only its own, never another's, which it could
 * otherwise push out and then give as its own (taking the client's reads of it).
 */
export class LinkedUris {
  private readonly owner = new Map<string, number>();
  /** Per backend index: its URIs in the order given (oldest first). */
  private readonly given = new Map<number, Set<string>>();

  constructor(private readonly max = LINKED_URIS_MAX) {}

  get(uri: string): number | undefined {
    return this.owner.get(uri);
  }

  /** Remembers `uri` as backend `index`'s (the caller checked no other backend has it). */
  remember(uri: string, index: number): void {
    if (uri.length > LINKED_URI_MAX_CHARS) return;
    const previous = this.owner.get(uri);
    if (previous !== undefined && previous !== index) return;
    let mine = this.given.get(index);
    if (mine === undefined) this.given.set(index, (mine = new Set()));
    // Deleted first so that a URI given again counts as given last.
    mine.delete(uri);
    mine.add(uri);
    this.owner.set(uri, index);
    if (mine.size > this.max) {
      const oldest = mine.values().next().value!;
      mine.delete(oldest);
      this.owner.delete(oldest);
    }
  }
}

/**
 * Calls `show` for every resource URI in a backend's answer to `method` (tools/call and tasks/result:
 * result.content; prompts/get: each message's content; resources/read: result.contents), and puts
 * the URI it returns (the one the client is to use) in place when it differs. True when the answer
 * gave a URI at all: the session routes by what it parsed, so the client must get that parsed answer
 * (serialized again), never the backend's text, where a member written twice (a "uri" in alias form
 * first, another last) could be read otherwise by the client's parser.
 */
export function eachGivenUri(method: string, result: Item, show: (uri: string) => string): boolean {
  let gave = false;
  if (method === 'tools/call' || method === 'tasks/result') {
    const content = result.content;
    if (Array.isArray(content)) for (const item of content) gave = contentItem(item, show) || gave;
  } else if (method === 'resources/read') {
    const contents = result.contents;
    if (Array.isArray(contents)) for (const item of contents) gave = uriOf(item, show) || gave;
  } else if (method === 'prompts/get') {
    const messages = result.messages;
    if (Array.isArray(messages)) for (const m of messages) if (m !== null && typeof m === 'object') gave = contentItem((m as Item).content, show) || gave;
  }
  return gave;
}

/** A content block: a resource_link carries `uri`, an embedded resource `resource.uri`. */
function contentItem(item: unknown, show: (uri: string) => string): boolean {
  if (item === null || typeof item !== 'object') return false;
  const type = (item as Item).type;
  if (type === 'resource_link') return uriOf(item, show);
  if (type === 'resource') return uriOf((item as Item).resource, show);
  return false;
}

function uriOf(item: unknown, show: (uri: string) => string): boolean {
  if (item === null || typeof item !== 'object') return false;
  const uri = (item as Item).uri;
  if (typeof uri !== 'string') return false;
  const shown = show(uri);
  if (shown !== uri) (item as Item).uri = shown;
  return true;
}
