/**
 * A fast path for boolean RE2 matches: translates an RE2 pattern to an equivalent JS RegExp when
 * its syntax has an exact JS counterpart, and records how much a backtracking engine could cost on
 * it (unbounded quantifiers, alternation branches, quantified groups that contain repetition or
 * alternation). Callers use the native RegExp only when that bound is small for the input length,
 * and otherwise (or for any unsupported syntax) the linear-time RE2 engine, so an attacker-supplied
 * string can never make a policy match take super-linear time beyond a fixed budget.
 */

export interface NativeRegex {
  readonly re: RegExp;
  /** number of quantifiers that can repeat more than once */
  readonly quantifiers: number;
  /** product of alternation branch counts */
  readonly branches: number;
}

/** worst-case steps a backtracking match may take on this input length must stay below this */
const STEP_BUDGET = 2_000_000;

/** whether the native RegExp is safe to run on an input of this length */
export function nativeAffordable(n: NativeRegex, inputLength: number): boolean {
  const base = inputLength + 1;
  let cost = n.branches * base;
  for (let i = 0; i < n.quantifiers; i++) {
    cost *= base;
    if (cost > STEP_BUDGET) return false;
  }
  return cost <= STEP_BUDGET;
}

const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const RE2_SPACE = '\\t\\n\\f\\r ';

function literal(ch: string): string {
  return JS_SYNTAX.has(ch) ? '\\' + ch : ch;
}

interface Group {
  quantified: boolean; // contains a repeating quantifier
  branches: number;
}

/** the JS equivalent of an RE2 escape outside a class, or null when unsupported */
function escapeOutside(c: string): string | null {
  switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'b':
    case 'B':
    case 't':
    case 'n':
    case 'r':
    case 'f':
    case 'v':
      return '\\' + c;
    case 's':
      return `[${RE2_SPACE}]`;
    case 'S':
      return `[^${RE2_SPACE}]`;
    case 'a':
      return '\\x07';
  }
  if (/[A-Za-z0-9]/.test(c)) return null; // \p \Q \z \A \C \1 octal ...: leave to RE2
  return literal(c);
}

function escapeInClass(c: string): string | null {
  switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 't':
    case 'n':
    case 'r':
    case 'f':
    case 'v':
      return '\\' + c;
    case 's':
      return RE2_SPACE;
    case 'a':
      return '\\x07';
  }
  if (/[A-Za-z0-9]/.test(c)) return null;
  return JS_SYNTAX.has(c) || c === '-' ? '\\' + c : c;
}

/** translates an RE2 pattern (already known to be valid RE2) to a JS RegExp, or null */
export function toNativeRegex(pattern: string): NativeRegex | null {
  const p = Array.from(pattern);
  let i = 0;
  let flags = 'u';
  let dotAll = false;
  // leading flag group (?i) (?s) (?is)
  const fm = /^\(\?([is]+)\)/.exec(pattern);
  if (fm !== null) {
    if (fm[1]!.includes('i')) flags += 'i';
    if (fm[1]!.includes('s')) {
      flags += 's';
      dotAll = true;
    }
    i = Array.from(fm[0]).length;
  }
  let out = '';
  let quantifiers = 0;
  let branches = 1;
  let nested = false;
  const stack: Group[] = [{ quantified: false, branches: 1 }];
  let lastAtom: 'none' | 'atom' | 'group' = 'none';
  let lastGroup: Group | undefined;
  const markQuantified = (): void => {
    for (const g of stack) g.quantified = true;
  };
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined) return null;
      let t: string | null;
      if (e === 'x') {
        const rest = p.slice(i + 2).join('');
        const m = /^(?:([0-9A-Fa-f]{2})|\{([0-9A-Fa-f]{1,6})\})/.exec(rest);
        if (m === null) return null;
        t = m[1] !== undefined ? '\\x' + m[1] : '\\u{' + m[2] + '}';
        i += 2 + m[0].length;
      } else {
        t = escapeOutside(e);
        i += 2;
      }
      if (t === null) return null;
      out += t;
      lastAtom = 'atom';
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (p[j] === '^') {
        cls += '^';
        j++;
      }
      if (p[j] === ']') {
        cls += '\\]';
        j++;
      }
      let closed = false;
      while (j < p.length) {
        const d = p[j]!;
        if (d === ']') {
          closed = true;
          break;
        }
        if (d === '[') {
          if (p[j + 1] === ':') return null; // POSIX classes
          cls += '\\[';
          j++;
          continue;
        }
        if (d === '\\') {
          const e = p[j + 1];
          if (e === undefined) return null;
          if (e === 'x') {
            const rest = p.slice(j + 2).join('');
            const m = /^(?:([0-9A-Fa-f]{2})|\{([0-9A-Fa-f]{1,6})\})/.exec(rest);
            if (m === null) return null;
            cls += m[1] !== undefined ? '\\x' + m[1] : '\\u{' + m[2] + '}';
            j += 2 + m[0].length;
            continue;
          }
          const t = escapeInClass(e);
          if (t === null) return null;
          cls += t;
          j += 2;
          continue;
        }
        cls += d === '{' || d === '}' || d === '(' || d === ')' || d === '|' || d === '/' ? '\\' + d : d;
        j++;
      }
      if (!closed) return null;
      out += cls + ']';
      i = j + 1;
      lastAtom = 'atom';
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const rest = p.slice(i).join('');
        const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (rest.startsWith('(?:')) {
          out += '(?:';
          i += 3;
        } else if (named !== null) {
          out += '(?<' + named[1] + '>';
          i += Array.from(named[0]).length;
        } else return null; // inline flags mid-pattern etc.
      } else {
        out += '(';
        i++;
      }
      stack.push({ quantified: false, branches: 1 });
      lastAtom = 'none';
      continue;
    }
    if (c === ')') {
      const g = stack.pop();
      if (g === undefined || stack.length === 0) return null;
      branches *= g.branches;
      if (g.quantified) stack[stack.length - 1]!.quantified = true;
      out += ')';
      i++;
      lastAtom = 'group';
      lastGroup = g;
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1]!.branches++;
      out += '|';
      i++;
      lastAtom = 'none';
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let max = Infinity;
      let text = c;
      if (c === '?') max = 1;
      if (c === '{') {
        const rest = p.slice(i).join('');
        const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
        if (m === null) {
          out += '\\{';
          i++;
          lastAtom = 'atom';
          continue;
        }
        max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
        text = m[0];
      }
      if (lastAtom === 'none') return null;
      i += Array.from(text).length;
      if (p[i] === '?') {
        text += '?';
        i++;
      }
      if (max > 1) {
        if (lastAtom === 'group' && lastGroup !== undefined && (lastGroup.quantified || lastGroup.branches > 1)) nested = true;
        quantifiers++;
        markQuantified();
      }
      out += text;
      lastAtom = 'none';
      continue;
    }
    if (c === '.') {
      out += dotAll ? '.' : '[^\\n]';
      i++;
      lastAtom = 'atom';
      continue;
    }
    if (c === '^' || c === '$') {
      out += c;
      i++;
      lastAtom = 'atom';
      continue;
    }
    out += literal(c);
    i++;
    lastAtom = 'atom';
  }
  if (stack.length !== 1 || nested) return null;
  branches *= stack[0]!.branches;
  try {
    return { re: new RegExp(out, flags), quantifiers, branches };
  } catch {
    return null;
  }
}
