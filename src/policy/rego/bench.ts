/**
 * Engine micro-benchmark (issue 4 acceptance 4): `node dist/policy/rego/bench.js [--n N]`.
 * An authorization decision of the kind mcp-warden makes (tool name, verb allowlist, namespace list,
 * client role) and a policy of 1,000 rules (one per tool name), each evaluated through the prepared
 * rule fast path; prints p50/p99 in microseconds and the ratio against the same decision written by
 * hand in TypeScript, measured in the same run.
 */
import { compilePolicy, type Value } from './index.js';

const AUTHZ = `package mcp.authz

default allow := false

read_verbs := {"get", "list", "describe", "logs"}

allowed_namespaces := {"default", "staging"}

verb := split(input.tool.name, "_")[1]

allow if {
	input.client.roles[_] == "admin"
}

allow if {
	"operator" in input.client.roles
	verb in read_verbs
	input.arguments.namespace in allowed_namespaces
}
`;

function handAuthz(input: { tool: { name: string }; client: { roles: string[] }; arguments: { namespace?: string } }): boolean {
  if (input.client.roles.includes('admin')) return true;
  const verb = input.tool.name.split('_')[1];
  return (
    input.client.roles.includes('operator') &&
    verb !== undefined &&
    READ_VERBS.has(verb) &&
    input.arguments.namespace !== undefined &&
    NAMESPACES.has(input.arguments.namespace)
  );
}
const READ_VERBS = new Set(['get', 'list', 'describe', 'logs']);
const NAMESPACES = new Set(['default', 'staging']);

function manyRules(n: number): string {
  let src = 'package mcp.many\n\ndefault allow := false\n\n';
  for (let i = 0; i < n; i++) src += `allow if {\n\tinput.tool.name == "tool_${i}"\n\t"user" in input.client.roles\n}\n\n`;
  return src;
}
const MANY_TOOLS = new Map<string, true>();

function handMany(input: { tool: { name: string }; client: { roles: string[] } }): boolean {
  return MANY_TOOLS.has(input.tool.name) && input.client.roles.includes('user');
}

function measure(n: number, f: (i: number) => unknown): { p50: number; p99: number } {
  for (let i = 0; i < Math.min(n, 20000); i++) f(i); // warm-up
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    f(i);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  t.sort();
  return { p50: t[Math.floor(n * 0.5)]!, p99: t[Math.floor(n * 0.99)]! };
}

export function runBench(n = 50000): string {
  const lines: string[] = [];
  const authz = compilePolicy([{ file: 'authz.rego', source: AUTHZ }]).prepareRule('data.mcp.authz.allow');
  const inputs = [
    { tool: { name: 'kubectl_get' }, client: { roles: ['operator'] }, arguments: { namespace: 'default' } },
    { tool: { name: 'kubectl_delete' }, client: { roles: ['operator'] }, arguments: { namespace: 'default' } },
    { tool: { name: 'kubectl_logs' }, client: { roles: ['viewer', 'operator'] }, arguments: { namespace: 'prod' } },
  ];
  for (const i of inputs) {
    if ((authz.eval(i) as Value) !== handAuthz(i)) throw new Error(`authz mismatch for ${JSON.stringify(i)}`);
  }
  const a = measure(n, (i) => authz.eval(inputs[i % 3]));
  const ah = measure(n, (i) => handAuthz(inputs[i % 3]!));
  lines.push(`authz decision: rego p50 ${a.p50.toFixed(2)} us p99 ${a.p99.toFixed(2)} us; hand-written p50 ${ah.p50.toFixed(3)} us; ratio ${(a.p50 / Math.max(ah.p50, 0.001)).toFixed(1)}x`);

  const count = 1000;
  for (let i = 0; i < count; i++) MANY_TOOLS.set(`tool_${i}`, true);
  const t0 = performance.now();
  const many = compilePolicy([{ file: 'many.rego', source: manyRules(count) }]).prepareRule('data.mcp.many.allow');
  const compileMs = performance.now() - t0;
  const minputs = [
    { tool: { name: 'tool_999' }, client: { roles: ['user'] } },
    { tool: { name: 'tool_5' }, client: { roles: ['user'] } },
    { tool: { name: 'nope' }, client: { roles: ['user'] } },
  ];
  for (const i of minputs) if ((many.eval(i) as Value) !== handMany(i)) throw new Error(`many mismatch for ${JSON.stringify(i)}`);
  const m = measure(n, (i) => many.eval(minputs[i % 3]));
  const mh = measure(n, (i) => handMany(minputs[i % 3]!));
  lines.push(`1,000 rules (compile ${compileMs.toFixed(0)} ms): rego p50 ${m.p50.toFixed(2)} us p99 ${m.p99.toFixed(2)} us; hand-written p50 ${mh.p50.toFixed(3)} us; ratio ${(m.p50 / Math.max(mh.p50, 0.001)).toFixed(1)}x`);
  lines.push(`targets: authz p50 <= 20 us: ${a.p50 <= 20 ? 'met' : 'NOT met'}; 1,000 rules p50 <= 100 us: ${m.p50 <= 100 ? 'met' : 'NOT met'}`);
  return lines.join('\n');
}

/** for bench/run.mjs: `bench({ quick })` -> { text } */
export async function bench({ quick = false }: { quick?: boolean } = {}): Promise<{ text: string }> {
  return { text: runBench(quick ? 5000 : 50000) };
}

if (process.argv[1] && /rego[/\\]bench\.js$/.test(process.argv[1])) {
  const i = process.argv.indexOf('--n');
  console.log(runBench(i > 0 ? Number(process.argv[i + 1]) : 50000));
}
