/**
 * The text form of src/proxy/distinct-keys.ts, the reference its byte scanner is tested against:
 * JSON.parse reads the text as one object, and, walking its tokens, no object has a member name
 * twice and no member name holds an escape. Also where the top-level `params` object's text ends.
 */

/** Whether `text` is one JSON object with distinct, unescaped member names at every depth. */
export function hasDistinctKeysText(text: string): boolean {
  return walk(text) !== undefined;
}

/** The index just past the top-level params object of `text`, or undefined when hasDistinctKeysText is false or there is none. */
export function paramsEndText(text: string): number | undefined {
  const r = walk(text);
  return r === undefined || r < 0 ? undefined : r;
}

/** undefined: declined; else the end of top-level params (or -1). */
function walk(text: string): number | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // The text is valid JSON: a token walk suffices.
  const stack: Array<Set<string> | null> = [];
  let paramsEnd = -1;
  let paramsDepth = -1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i + 1, j);
      i = j + 1;
      let k = i;
      while (k < text.length && ' \t\r\n'.includes(text[k]!)) k++;
      if (text[k] === ':') {
        if (raw.includes('\\')) return undefined;
        const names = stack[stack.length - 1]!;
        if (names.has(raw)) return undefined;
        names.add(raw);
        if (stack.length === 1 && raw === 'params') paramsDepth = 2;
      }
      continue;
    }
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') {
      if (stack.length === paramsDepth && paramsEnd < 0 && c === '}') paramsEnd = i + 1;
      stack.pop();
    }
    i++;
  }
  return paramsEnd;
}
