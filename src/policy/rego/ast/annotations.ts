/**
 * METADATA annotations: `# METADATA` comment blocks (YAML) right above a package or a rule.
 * Scope: rule (default above rules), document (all rules of that name), package (default above
 * the package), subpackages. Authors become {name, email}, related_resources {ref, description}.
 * The YAML is read as OPA v1 reads it (yaml.v3 into typed fields): annotation-yaml.ts.
 */
import { readMetadataYaml } from './annotation-yaml.js';
import type { Comment } from './lexer.js';
import { RegoSyntaxError } from './lexer.js';
import type { Annotation, Module } from './types.js';

function normaliseAuthor(a: unknown): unknown {
  if (typeof a !== 'string') return a;
  const m = /^(.*?)\s*<([^>]+)>\s*$/.exec(a);
  if (m) return m[1] ? { name: m[1], email: m[2] } : { email: m[2] };
  return { name: a.trim() };
}

function normalise(data: Record<string, unknown>): Record<string, unknown> {
  const out = { ...data };
  if (Array.isArray(out.authors)) out.authors = out.authors.map(normaliseAuthor);
  if (Array.isArray(out.related_resources)) {
    out.related_resources = out.related_resources.map((r) => (typeof r === 'string' ? { ref: r } : r));
  }
  return out;
}

export function attachAnnotations(mod: Module, comments: Comment[]): Annotation[] {
  const out: Annotation[] = [];
  const byLine = new Map<number, Comment>();
  for (const c of comments) byLine.set(c.line, c);
  for (const c of comments) {
    if (c.text.trim() !== 'METADATA') continue;
    const lines: string[] = [];
    let line = c.line + 1;
    for (; byLine.has(line); line++) {
      const t = byLine.get(line)!.text;
      lines.push(t.startsWith(' ') ? t.slice(1) : t);
    }
    let data: Record<string, unknown>;
    try {
      data = readMetadataYaml(lines.join('\n'));
    } catch (e) {
      throw new RegoSyntaxError(`rego_parse_error: invalid METADATA: ${(e as Error).message.split('\n')[0]}`, c.line, c.col);
    }
    const loc = { file: mod.file, line: c.line, col: c.col };
    const doc = normalise(data);
    const scope = doc.scope as Annotation['scope'] | undefined;
    if (mod.pkgLoc.line === line) {
      out.push({ scope: scope ?? 'package', data: { ...doc, scope: scope ?? 'package' }, loc });
      continue;
    }
    const rule = mod.rules.find((r) => r.loc.line === line);
    if (!rule) continue;
    const s = scope ?? 'rule';
    out.push({ rule, scope: s, data: { ...doc, scope: s }, loc });
  }
  return out;
}
