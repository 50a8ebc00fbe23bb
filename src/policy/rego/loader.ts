/**
 * Loading policy files from paths as `opa` does: directories are searched recursively for *.rego
 * modules and *.json / *.yaml / *.yml data documents; a data file's content lands under the data
 * path of its directory relative to the root given (a/b/data.json -> data.a.b).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import YAML from 'yaml';
import { RObject, fromJS, isObject, objForEach, type Value } from './value/index.js';
import type { SourceFile } from './compile/compiler.js';

export interface Loaded {
  modules: SourceFile[];
  data: Value;
}

export class LoadError extends Error {}

function mergeInto(target: RObject, value: Value, file: string, at: string[]): void {
  if (!isObject(value)) throw new LoadError(`${file}: data document at ${['data', ...at].join('.')} must be an object`);
  objForEach(value, (k, v) => {
    const old = target.get(k);
    if (old instanceof RObject && isObject(v)) mergeInto(old, v, file, [...at, String(k)]);
    else if (old !== undefined && !(old instanceof RObject && isObject(v))) {
      throw new LoadError(`${file}: merge error: data.${[...at, String(k)].join('.')} is defined twice`);
    } else {
      const copy = new RObject();
      if (isObject(v)) {
        mergeInto(copy, v, file, [...at, String(k)]);
        target.set(k, copy);
      } else target.set(k, v);
    }
  });
}

function parseData(file: string): Value {
  const text = readFileSync(file, 'utf8');
  try {
    return file.endsWith('.json') ? fromJS(JSON.parse(text)) : fromJS(YAML.parse(text, { intAsBigInt: true }));
  } catch (err) {
    throw new LoadError(`${file}: ${(err as Error).message}`);
  }
}

export function loadPaths(paths: string[], opts: { skipTests?: boolean } = {}): Loaded {
  const modules: SourceFile[] = [];
  const data = new RObject();
  const addData = (file: string, prefix: string[]) => {
    let v = parseData(file);
    for (let i = prefix.length - 1; i >= 0; i--) v = RObject.fromEntries([[prefix[i]!, v]]);
    mergeInto(data, v, file, []);
  };
  const visit = (p: string, root: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new LoadError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        visit(join(p, name), root, false);
      }
      return;
    }
    const name = basename(p);
    if (name.endsWith('.rego')) {
      if (opts.skipTests && name.endsWith('_test.rego')) return;
      modules.push({ file: p, source: readFileSync(p, 'utf8') });
    } else if (/\.(json|ya?ml)$/.test(name) && (top || name !== 'pack.json')) {
      const rel = top ? '' : relative(root, dirname(p));
      addData(p, rel ? rel.split(sep) : []);
    } else if (top) throw new LoadError(`${p}: not a .rego, .json or .yaml file`);
  };
  for (const p of paths) visit(p, p, true);
  return { modules, data };
}
