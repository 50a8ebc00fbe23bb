/**
 * json.filter, json.remove and json.patch (RFC 6902 add/remove/replace/move/copy/test, extended to
 * sets as OPA does: a set member is addressed by its value). Paths are "/a/b" strings (~0 ~1
 * escapes) or arrays of segments. Values are rebuilt immutably; a failing patch is undefined.
 */
import { RObject, RSet, equal, isObject, objForEach, objGet, type Value } from '../value/index.js';
import { type BuiltinDef, BuiltinTypeError } from './registry.js';
import { obj, arr, typeError, operandTypeError } from './operands.js';

const NULL_LEAF = null;

function parsePath(p: Value): Value[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (Array.isArray(p)) return p;
  throw typeError(
    `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${typeNameOf(p)}`,
  );
}

function typeNameOf(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RSet) return 'set';
  if (isObject(v)) return 'object';
  return 'number';
}

function getPaths(v: Value): Value[][] {
  if (Array.isArray(v)) return v.map(parsePath);
  if (v instanceof RSet) return v.values().map(parsePath);
  throw operandTypeError(2, v, 'set', 'array');
}

/** the tree of paths: objects down to null leaves (pathsToObject) */
function pathsToTree(paths: Value[][]): RObject {
  const root = new RObject();
  for (const path of paths) {
    if (path.length === 0) continue;
    let node = root;
    let done = false;
    for (let i = 0; i < path.length - 1 && !done; i++) {
      const child = node.get(path[i]!);
      if (child === undefined) {
        const o = new RObject();
        node.set(path[i]!, o);
        node = o;
      } else if (child === null) done = true;
      else node = child as RObject;
    }
    if (!done) node.set(path[path.length - 1]!, NULL_LEAF);
  }
  return root;
}

function filterValue(v: Value, filter: Value): Value {
  if (filter === null) return v;
  const f = filter as RObject;
  if (Array.isArray(v)) {
    const out: Value[] = [];
    for (let i = 0; i < v.length; i++) {
      const sub = f.get(String(i));
      if (sub !== undefined) out.push(filterValue(v[i]!, sub));
    }
    return out;
  }
  if (v instanceof RSet) {
    const out = new RSet();
    for (const t of v.values()) {
      const sub = f.get(t);
      if (sub !== undefined) out.add(filterValue(t, sub));
    }
    return out;
  }
  if (isObject(v)) {
    const out = new RObject();
    objForEach(v, (k, val) => {
      const sub = f.get(k);
      if (sub !== undefined) out.set(k, filterValue(val, sub));
    });
    return out;
  }
  return v;
}

/** jsonRemove: undefined means "drop this value" */
function removeValue(a: Value, b: Value | undefined): Value | undefined {
  if (b === undefined) return a;
  if (b === null) return undefined;
  if (!(b instanceof RObject)) return a;
  if (Array.isArray(a)) {
    const out: Value[] = [];
    for (let i = 0; i < a.length; i++) {
      const d = removeValue(a[i]!, b.get(String(i)));
      if (d !== undefined) out.push(d);
    }
    return out;
  }
  if (a instanceof RSet) {
    const out = new RSet();
    for (const t of a.values()) {
      const d = removeValue(t, b.get(t));
      if (d !== undefined) out.add(d);
    }
    return out;
  }
  if (isObject(a)) {
    const out = new RObject();
    objForEach(a, (k, v) => {
      const d = removeValue(v, b.get(k));
      if (d !== undefined) out.set(k, d);
    });
    return out;
  }
  return a;
}

// ---- json.patch ----

class PatchError extends Error {}

function arrayIndex(seg: Value, len: number, allowEnd: boolean): number {
  let i: number;
  if (typeof seg === 'number') i = seg;
  else if (typeof seg === 'string' && /^(0|[1-9][0-9]*)$/.test(seg)) i = Number(seg);
  else if (seg === '-' && allowEnd) return len;
  else throw new PatchError('invalid array index');
  if (!Number.isInteger(i) || i < 0 || i > len || (!allowEnd && i === len)) throw new PatchError('index out of range');
  return i;
}

function child(v: Value, seg: Value): Value {
  if (Array.isArray(v)) return v[arrayIndex(seg, v.length, false)]!;
  if (v instanceof RSet) {
    if (!v.has(seg)) throw new PatchError('no such set member');
    return seg;
  }
  if (isObject(v)) {
    const c = objGet(v, seg);
    if (c === undefined) throw new PatchError('no such key');
    return c;
  }
  throw new PatchError('path into scalar');
}

function render(v: Value, path: Value[]): Value {
  let cur = v;
  for (const seg of path) cur = child(cur, seg);
  return cur;
}

function copyObject(o: RObject | object): RObject {
  const out = new RObject();
  objForEach(o as never, (k, v) => {
    out.set(k, v);
  });
  return out;
}

/** applies an edit to the parent of the last segment; returns the rebuilt document */
function edit(doc: Value, path: Value[], depth: number, leaf: (parent: Value, seg: Value) => Value): Value {
  if (depth === path.length - 1) return leaf(doc, path[depth]!);
  const seg = path[depth]!;
  const c = child(doc, seg);
  const updated = edit(c, path, depth + 1, leaf);
  if (Array.isArray(doc)) {
    const out = doc.slice();
    out[arrayIndex(seg, doc.length, false)] = updated;
    return out;
  }
  if (doc instanceof RSet) {
    const out = new RSet();
    for (const m of doc.values()) if (!equal(m, seg)) out.add(m);
    out.add(updated);
    return out;
  }
  const out = copyObject(doc as RObject);
  out.set(seg, updated);
  return out;
}

function insertAt(doc: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  return edit(doc, path, 0, (parent, seg) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(seg, parent.length, true);
      const out = parent.slice();
      out.splice(i, 0, value);
      return out;
    }
    if (parent instanceof RSet) {
      if (!equal(seg, value)) throw new PatchError('set member mismatch');
      const out = new RSet();
      for (const m of parent.values()) out.add(m);
      out.add(value);
      return out;
    }
    if (isObject(parent)) {
      const out = copyObject(parent as RObject);
      out.set(seg, value);
      return out;
    }
    throw new PatchError('path into scalar');
  });
}

function deleteAt(doc: Value, path: Value[]): Value {
  if (path.length === 0) throw new PatchError('cannot delete root');
  return edit(doc, path, 0, (parent, seg) => {
    if (Array.isArray(parent)) {
      const i = arrayIndex(seg, parent.length, false);
      const out = parent.slice();
      out.splice(i, 1);
      return out;
    }
    if (parent instanceof RSet) {
      if (!parent.has(seg)) throw new PatchError('no such set member');
      const out = new RSet();
      for (const m of parent.values()) if (!equal(m, seg)) out.add(m);
      return out;
    }
    if (isObject(parent)) {
      if (objGet(parent, seg) === undefined) throw new PatchError('no such key');
      const out = new RObject();
      objForEach(parent, (k, v) => {
        if (!equal(k, seg)) out.set(k, v);
      });
      return out;
    }
    throw new PatchError('path into scalar');
  });
}

function applyPatch(doc: Value, ops: Value[]): Value {
  let cur = doc;
  for (const op of ops) {
    if (!isObject(op)) throw new PatchError('not an object');
    const name = objGet(op, 'op');
    const pathV = objGet(op, 'path');
    if (typeof name !== 'string' || pathV === undefined) throw new PatchError('bad op');
    const path = parsePath(pathV);
    const from = (): Value[] => {
      const f = objGet(op, 'from');
      if (f === undefined) throw new PatchError("missing 'from' attribute");
      return parsePath(f);
    };
    const value = (): Value => {
      const v = objGet(op, 'value');
      if (v === undefined) throw new PatchError("missing 'value' attribute");
      return v;
    };
    switch (name) {
      case 'add':
        cur = insertAt(cur, path, value());
        break;
      case 'remove':
        cur = deleteAt(cur, path);
        break;
      case 'replace': {
        const v = value();
        cur = path.length === 0 ? v : insertAt(deleteAt(cur, path), path, v);
        break;
      }
      case 'move': {
        const f = from();
        const chunk = render(cur, f);
        cur = insertAt(deleteAt(cur, f), path, chunk);
        break;
      }
      case 'copy': {
        const chunk = render(cur, from());
        cur = insertAt(cur, path, chunk);
        break;
      }
      case 'test':
        if (!equal(render(cur, path), value())) throw new PatchError('test failed');
        break;
      default:
        throw new PatchError(`unrecognized op '${name}'`);
    }
  }
  return cur;
}

export const builtins: BuiltinDef[] = [
  {
    name: 'json.filter',
    arity: 2,
    fn: (a) => {
      const o = obj(a[0]!, 1);
      return filterValue(o as Value, pathsToTree(getPaths(a[1]!)));
    },
  },
  {
    name: 'json.remove',
    arity: 2,
    fn: (a) => {
      obj(a[0]!, 1);
      return removeValue(a[0]!, pathsToTree(getPaths(a[1]!)));
    },
  },
  {
    name: 'json.patch',
    arity: 2,
    fn: (a) => {
      const ops = arr(a[1]!, 2);
      try {
        return applyPatch(a[0]!, ops);
      } catch (e) {
        if (e instanceof PatchError || e instanceof BuiltinTypeError) return undefined;
        throw e;
      }
    },
  },
];
