/** rego.metadata.rule() / rego.metadata.chain() values of each rule, from the modules' METADATA. */
import type { Annotation, Module } from '../ast/types.js';
import { fromJS, type Value } from '../value/index.js';
import type { CRule } from './tree.js';

export interface RuleMeta {
  rule: Value;
  chain: Value;
}

export function attachMetadata(modules: Module[], rules: CRule[]): void {
  if (!modules.some((m) => m.annotations?.length)) return;
  const pkgAnn = new Map<string, Annotation[]>();
  const byRule = new Map<unknown, Annotation[]>();
  for (const m of modules) {
    for (const a of m.annotations ?? []) {
      if (a.rule) {
        const l = byRule.get(a.rule) ?? [];
        l.push(a);
        byRule.set(a.rule, l);
      } else {
        const key = `${a.scope}:${m.pkg.join('.')}`;
        const l = pkgAnn.get(key) ?? [];
        l.push(a);
        pkgAnn.set(key, l);
      }
    }
  }
  for (const r of rules) {
    const own = byRule.get(r.rule) ?? [];
    const ruleAnn = own.find((a) => a.scope === 'rule');
    const path = r.node.path;
    const chain: unknown[] = [ruleAnn ? { path, annotations: ruleAnn.data } : { path }];
    for (const other of rules) {
      if (other.node !== r.node) continue;
      for (const a of byRule.get(other.rule) ?? []) if (a.scope === 'document' && !chain.some((c) => (c as { annotations?: unknown }).annotations === a.data)) chain.push({ path, annotations: a.data });
    }
    const modPkg = pkgOf(modules, r) ?? r.node.path.slice(0, -1);
    for (const a of pkgAnn.get(`package:${modPkg.join('.')}`) ?? []) chain.push({ path: modPkg, annotations: a.data });
    for (let n = modPkg.length; n > 0; n--) {
      const prefix = modPkg.slice(0, n);
      for (const a of pkgAnn.get(`subpackages:${prefix.join('.')}`) ?? []) chain.push({ path: prefix, annotations: a.data });
    }
    r.meta = { rule: fromJS(ruleAnn?.data ?? {}), chain: fromJS(chain) };
  }
}

function pkgOf(modules: Module[], r: CRule): string[] | undefined {
  for (const m of modules) if (m.rules.includes(r.rule)) return m.pkg;
  return undefined;
}
