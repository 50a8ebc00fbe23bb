/**
 * Loading policy files from paths as `opa` does: directories are searched recursively for *.rego
 * modules and *.json / *.yaml / *.yml data documents; a data file's content lands under the data
 * path of its directory relative to the root given (a/b/data.json -> data.a.b).
 * YAML data is read as OPA's loader reads it (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1: `yes` and
 * `no` are booleans, 0755 is octal, merge keys apply; only the first document of a stream counts),
 * by the reader yaml.unmarshal uses; what that reader cannot read as go-yaml does is an error naming
 * the file. The top level of a data file at the root must be an object (OPA: "bad document type").
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { RObject, fromJS, isObject, objForEach, type Value } from './value/index.js';
import type { SourceFile } from './compile/compiler.js';
import { goYamlUnmarshal } from './builtins/yaml-go.js';

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

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseData(file: string): Value {
  const bytes = readFileSync(file);
  if (file.endsWith('.json')) {
    try {
      return fromJS(JSON.parse(bytes.toString('utf8')));
    } catch (err) {
      throw new LoadError(`${file}: ${(err as Error).message}`);
    }
  }
  const failed = (reason: string) => new LoadError(`${file}: error converting YAML to JSON: ${reason}`);
  let text: string;
  try {
    text = UTF8.decode(bytes); // go-yaml refuses bytes that are not UTF-8 (Node would read U+FFFD)
  } catch {
    throw failed('yaml: invalid UTF-8 in the file');
  }
  try {
    return goYamlUnmarshal(text);
  } catch (err) {
    throw failed((err as Error).message);
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
