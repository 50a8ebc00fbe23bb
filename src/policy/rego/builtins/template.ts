/**
 * strings.render_template(template, vars): the commonly used part of Go's text/template on JSON
 * data as OPA renders it — {{.a.b}}, $variables, {{if}}/{{else if}}/{{else}}, {{range}} (with
 * `$i, $v :=`), {{with}}, pipelines with `|`, trim markers, comments, and the functions and, or,
 * not, len, index, eq, ne, lt, le, gt, ge, print, printf, println. Values print as Go's %v does
 * (numbers as float64, arrays `[a b]`, maps `map[k:v]`); a missing key prints `<undefined>`.
 */
import { toJSON, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinError } from './registry.js';
import { str, obj } from './operands.js';
import { goFormatFloatShortest, goSprintf, type FmtArg } from './gofmt.js';

type Data = unknown;
const UNDEFINED = Symbol('undefined');

interface Pipe {
  decl: string[];
  cmds: Token[][];
}
type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; p: Pipe }
  | { t: 'if' | 'with'; p: Pipe; body: Node[]; alt: Node[] }
  | { t: 'range'; p: Pipe; body: Node[]; alt: Node[] };
type Token =
  | { k: 'field'; base: string; path: string[] } // base: '.' or '$name'
  | { k: 'lit'; v: Data }
  | { k: 'ident'; name: string }
  | { k: 'sub'; p: Pipe };

function fail(msg: string): never {
  throw new BuiltinError(`template: template:${msg}`);
}

// ---- lexing and parsing ----

function tokenizeAction(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      let depth = 1;
      let j = i + 1;
      while (j < src.length && depth > 0) {
        if (src[j] === '(') depth++;
        else if (src[j] === ')') depth--;
        j++;
      }
      if (depth !== 0) fail(' unclosed left paren');
      out.push({ k: 'sub', p: parsePipe(src.slice(i + 1, j - 1)) });
      i = j;
      continue;
    }
    if (c === '|') {
      out.push({ k: 'ident', name: '|' });
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c === '"' && src[j] === '\\' ? 2 : 1;
      if (j >= src.length) fail(' unterminated quoted string');
      const raw = src.slice(i, j + 1);
      out.push({ k: 'lit', v: c === '`' ? raw.slice(1, -1) : (JSON.parse(raw) as string) });
      i = j + 1;
      continue;
    }
    const m = /^\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|^(?:\.[A-Za-z0-9_]+)+|^\.|^[A-Za-z_][A-Za-z0-9_]*|^-?[0-9][0-9.eE+-]*|^:=|^=|^,/.exec(src.slice(i));
    const w = m === null ? '' : m[0];
    if (w === '') fail(` unexpected ${JSON.stringify(c)} in command`);
    if (w === ':=' || w === '=' || w === ',') out.push({ k: 'ident', name: w });
    else if (w[0] === '.' || w[0] === '$') {
      const base = w[0] === '$' ? /^\$[A-Za-z0-9_]*/.exec(w)![0] : '.';
      const rest = w.slice(base === '.' ? 0 : base.length);
      out.push({ k: 'field', base, path: rest.split('.').filter((x) => x !== '') });
    } else if (/^-?[0-9]/.test(w)) out.push({ k: 'lit', v: Number(w) });
    else if (w === 'true' || w === 'false') out.push({ k: 'lit', v: w === 'true' });
    else if (w === 'nil') out.push({ k: 'lit', v: null });
    else out.push({ k: 'ident', name: w });
    i += w.length;
  }
  return out;
}

function parsePipe(src: string): Pipe {
  const toks = tokenizeAction(src);
  const decl: string[] = [];
  const assign = toks.findIndex((t) => t.k === 'ident' && (t.name === ':=' || t.name === '='));
  let rest = toks;
  if (assign >= 0) {
    for (const t of toks.slice(0, assign)) if (t.k === 'field' && t.base !== '.' && t.path.length === 0) decl.push(t.base);
    rest = toks.slice(assign + 1);
  }
  const cmds: Token[][] = [[]];
  for (const t of rest) {
    if (t.k === 'ident' && t.name === '|') cmds.push([]);
    else cmds[cmds.length - 1]!.push(t);
  }
  if (cmds.some((c) => c.length === 0)) fail(' missing value for command');
  return { decl, cmds };
}

function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Node | null; list: Node[] }[] = [{ node: null, list: root }];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) stack[stack.length - 1]!.list.push({ t: 'text', s: text });
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) fail('1: unclosed action');
    let inner = src.slice(open + 2, close);
    if (inner.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = false;
    if (inner.endsWith(' -')) {
      trimNext = true;
      inner = inner.slice(0, -1);
    }
    if (text) stack[stack.length - 1]!.list.push({ t: 'text', s: text });
    i = close + 2;
    const a = inner.trim();
    if (a.startsWith('/*')) continue;
    const kw = /^(if|range|with|else|end)\b/.exec(a)?.[1];
    const top = stack[stack.length - 1]!;
    if (kw === 'end') {
      if (stack.length === 1) fail('1: unexpected {{end}}');
      stack.pop();
      // pop the implicit frames of "else if"
      while (stack.length > 1 && stack[stack.length - 1]!.node === null) stack.pop();
    } else if (kw === 'else') {
      const n0 = top.node;
      if (n0 === null || n0.t === 'text' || n0.t === 'out') fail('1: unexpected {{else}}');
      const n = n0 as Extract<Node, { alt: Node[] }>;
      stack.pop();
      const elseIf = /^else\s+if\s+([\s\S]*)$/.exec(a);
      if (elseIf) {
        const nested: Node = { t: 'if', p: parsePipe(elseIf[1]!), body: [], alt: [] };
        n.alt.push(nested);
        stack.push({ node: null, list: n.alt });
        stack.push({ node: nested, list: nested.body });
      } else {
        stack.push({ node: n, list: n.alt });
      }
    } else if (kw !== undefined) {
      const node: Extract<Node, { alt: Node[] }> = { t: kw as 'if' | 'with' | 'range', p: parsePipe(a.slice(kw.length)), body: [], alt: [] };
      top.list.push(node);
      stack.push({ node, list: node.body });
    } else {
      top.list.push({ t: 'out', p: parsePipe(a) });
    }
  }
  if (stack.length > 1) fail('1: unexpected EOF');
  return root;
}

// ---- execution ----

function truthy(v: Data): boolean {
  if (v === null || v === undefined || v === UNDEFINED || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function show(v: Data): string {
  if (v === UNDEFINED) return '<undefined>';
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return goFormatFloatShortest(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map(show).join(' ') + ']';
  const o = v as Record<string, Data>;
  return 'map[' + Object.keys(o).sort().map((k) => k + ':' + show(o[k])).join(' ') + ']';
}

function fmtArg(v: Data): FmtArg {
  if (typeof v === 'number') return { t: 'float', v };
  if (typeof v === 'boolean') return { t: 'bool', v };
  return { t: 'str', v: show(v) };
}

function cmp(a: Data, b: Data): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  fail('1: incompatible types for comparison');
}

const FUNCS: Record<string, (args: Data[]) => Data> = {
  and: (a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  not: (a) => !truthy(a[0]),
  len: (a) => (typeof a[0] === 'string' ? Buffer.byteLength(a[0]) : Array.isArray(a[0]) ? a[0].length : Object.keys((a[0] ?? {}) as object).length),
  index: (a) => a.slice(1).reduce<Data>((cur, k) => (cur !== null && typeof cur === 'object' ? (cur as Record<string, Data>)[k as string] : undefined), a[0]),
  eq: (a) => a.slice(1).some((x) => JSON.stringify(x) === JSON.stringify(a[0])),
  ne: (a) => JSON.stringify(a[0]) !== JSON.stringify(a[1]),
  lt: (a) => cmp(a[0], a[1]) < 0,
  le: (a) => cmp(a[0], a[1]) <= 0,
  gt: (a) => cmp(a[0], a[1]) > 0,
  ge: (a) => cmp(a[0], a[1]) >= 0,
  print: (a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + show(x)).join(''),
  println: (a) => a.map(show).join(' ') + '\n',
  printf: (a) => goSprintf(typeof a[0] === 'string' ? a[0] : show(a[0]), a.slice(1).map(fmtArg)),
};

class Exec {
  private vars: Map<string, Data>[] = [];
  constructor(root: Data) {
    this.vars.push(new Map([['$', root]]));
  }

  private lookupVar(name: string): Data {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.has(name)) return this.vars[i]!.get(name);
    fail(`1: undefined variable: ${name}`);
  }

  private field(base: Data, path: string[]): Data {
    let cur = base;
    for (const k of path) {
      if (cur === UNDEFINED) return UNDEFINED;
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) fail(`1: can't evaluate field ${k}`);
      const o = cur as Record<string, Data>;
      cur = Object.prototype.hasOwnProperty.call(o, k) ? o[k] : UNDEFINED;
    }
    return cur;
  }

  private arg(t: Token, dot: Data): Data {
    switch (t.k) {
      case 'lit':
        return t.v;
      case 'field':
        return this.field(t.base === '.' ? dot : this.lookupVar(t.base), t.path);
      case 'sub':
        return this.pipe(t.p, dot);
      case 'ident': {
        const f = FUNCS[t.name];
        if (!f) fail(`1: function "${t.name}" not defined`);
        return f([]);
      }
    }
  }

  pipe(p: Pipe, dot: Data): Data {
    let prev: Data = undefined;
    let first = true;
    for (const cmd of p.cmds) {
      const head = cmd[0]!;
      if (head.k === 'ident') {
        const f = FUNCS[head.name];
        if (!f) fail(`1: function "${head.name}" not defined`);
        const args = cmd.slice(1).map((t) => this.arg(t, dot));
        if (!first) args.push(prev);
        prev = f(args);
      } else {
        if (cmd.length > 1) fail('1: can\'t give argument to non-function');
        prev = this.arg(head, dot);
      }
      first = false;
    }
    const scope = this.vars[this.vars.length - 1]!;
    if (p.decl.length === 1) scope.set(p.decl[0]!, prev);
    return prev;
  }

  run(nodes: Node[], dot: Data): string {
    let out = '';
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          out += n.s;
          break;
        case 'out': {
          const v = this.pipe(n.p, dot);
          if (n.p.decl.length === 0) out += show(v);
          break;
        }
        case 'if':
        case 'with': {
          const v = this.pipe({ decl: [], cmds: n.p.cmds }, dot);
          this.vars.push(new Map());
          if (n.p.decl.length === 1) this.vars[this.vars.length - 1]!.set(n.p.decl[0]!, v);
          out += truthy(v) ? this.run(n.body, n.t === 'with' ? v : dot) : this.run(n.alt, dot);
          this.vars.pop();
          break;
        }
        case 'range': {
          const v = this.pipe({ decl: [], cmds: n.p.cmds }, dot);
          const entries: [Data, Data][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : v !== null && typeof v === 'object'
              ? Object.keys(v as object).sort().map((k) => [k, (v as Record<string, Data>)[k]])
              : [];
          if (entries.length === 0) {
            out += this.run(n.alt, dot);
            break;
          }
          for (const [k, x] of entries) {
            const scope = new Map<string, Data>();
            if (n.p.decl.length === 1) scope.set(n.p.decl[0]!, x);
            else if (n.p.decl.length === 2) {
              scope.set(n.p.decl[0]!, k);
              scope.set(n.p.decl[1]!, x);
            }
            this.vars.push(scope);
            out += this.run(n.body, x);
            this.vars.pop();
          }
          break;
        }
      }
    }
    return out;
  }
}

function render(tpl: string, vars: Value): string {
  const nodes = parseTemplate(tpl);
  const data = toJSON(vars);
  return new Exec(data).run(nodes, data);
}

export const builtins: BuiltinDef[] = [
  {
    name: 'strings.render_template',
    arity: 2,
    fn: (a) => {
      const tpl = str(a[0]!, 1);
      obj(a[1]!, 2);
      return render(tpl, a[1]!);
    },
  },
];
