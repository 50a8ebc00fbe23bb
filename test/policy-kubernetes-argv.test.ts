/**
 * The kubernetes pack against what kubectl is actually run with: the real npm server
 * mcp-server-kubernetes behind `mcp-warden wrap --policy kubernetes`, with a stand-in kubectl on
 * its PATH (test/servers/fake-kubectl) that records its argv. Each call below reached kubectl
 * before the pack read the arguments as the server puts them on kubectl's command line (any JSON
 * value, ["-A"] becoming "-A"; a name starting with "-" read as a flag; one-letter flag clusters;
 * --all_namespaces=1; secrets.v1.; get --raw; events of every namespace; rollout's verb given as
 * resourceType): each is now denied and kubectl never runs, while the plain calls still run it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratch, wrapStandInKubectl, type Scratch, type StandInKubectl } from './helpers/policy-e2e.js';

describe('kubernetes pack: the arguments as kubectl reads them', () => {
  let s: Scratch;
  let k: StandInKubectl;
  const runs = (): string[][] => k.runs();
  const call = (name: string, args: Record<string, unknown>): Promise<string> => k.call(name, args);

  beforeAll(async () => {
    s = await scratch();
    k = await wrapStandInKubectl(s, 'warden:\n  kubernetes:\n    allowed_namespaces: [default, monitoring]\n');
  }, 120_000);
  afterAll(async () => {
    await k?.conn.close();
    await s?.remove();
  });

  it('plain calls run kubectl with their namespace', async () => {
    await call('kubectl_get', { resourceType: 'pods', namespace: 'default' });
    await call('kubectl_generic', { command: 'logs', args: ['web', '-p', '-c', 'app', '-ojson'], namespace: 'monitoring' });
    expect(runs()).toEqual([
      ['get', 'pods', '-n', 'default', '-o', 'json'],
      ['logs', '--namespace=monitoring', 'web', '-p', '-c', 'app', '-ojson'],
    ]);
  });

  const NOT_ALLOWED = "Namespace 'kube-system' is not allowed (allowed: default, monitoring)";
  const ALL = 'All namespaces (--all-namespaces) is not allowed (allowed: default, monitoring)';
  const SECRETS = 'Reading secrets is not allowed (set data.warden.kubernetes.allow_secrets to true to allow it)';
  // [tool, arguments, the reason it is denied for; kubectl's argv when it ran on the old pack]
  const cases: Array<[string, Record<string, unknown>, string]> = [
    // kubectl get pods -n kube-system
    ['kubectl_get', { resourceType: 'pods', namespace: ['kube-system'] }, "Argument 'namespace' must be a string (got array): denied"],
    // kubectl get pods -A -n default (-A wins)
    ['kubectl_get', { resourceType: 'pods', name: ['-A'] }, "Argument 'name' must be a string (got array): denied"],
    // kubectl -n default logs --namespace=kube-system (the last one wins)
    ['kubectl_logs', { resourceType: 'pod', name: '--namespace=kube-system', namespace: 'default' }, "Argument 'name' starts with '-' (kubectl would read it as a flag): denied"],
    // kubectl get pods --all-namespaces
    ['kubectl_get', { resourceType: 'pods', allNamespaces: 1 }, ALL],
    ['kubectl_generic', { command: 'get', resourceType: 'pods', allNamespaces: 'yes' }, ALL],
    // kubectl get events --all-namespaces (the server's default for events)
    ['kubectl_get', { resourceType: 'events' }, ALL],
    ['kubectl_generic', { command: 'get', args: ['pods', '--all_namespaces=1'] }, ALL],
    ['kubectl_generic', { command: 'get', args: ['pods', '-RA'] }, ALL],
    // kubectl logs -pnkube-system web (-p -n kube-system)
    ['kubectl_generic', { command: 'logs', args: ['-pnkube-system', 'web'] }, NOT_ALLOWED],
    // kubectl get -nkube-system pods
    ['kubectl_generic', { command: 'get', args: [['-nkube-system'], 'pods'] }, "Argument 'args' must be an array of strings: denied"],
    ['kubectl_get', { resourceType: 'secrets.v1.', namespace: 'default' }, SECRETS],
    ['kubectl_generic', { command: 'get', args: ['configmaps,secrets'] }, SECRETS],
    // Secrets of the core group however spelled, or a group the pack cannot classify
    ['kubectl_get', { resourceType: 'Secrets.', namespace: 'default' }, SECRETS],
    ['kubectl_get', { resourceType: 'secrets..', namespace: 'default' }, SECRETS],
    ['kubectl_generic', { command: 'get', args: ['Secret.v1./db'] }, SECRETS],
    ['kubectl_generic', { command: 'get', args: ['secrets.v1'] }, SECRETS],
    ['kubectl_generic', { command: 'get', args: ['--raw', '/api/v1/namespaces/kube-system/secrets'] }, "Flag '--raw' is not allowed (it reads any API path, past the namespace and secret rules)"],
    // kubectl rollout restart deployment status
    ['kubectl_generic', { command: 'rollout', resourceType: 'restart', name: 'deployment', args: ['status'] }, "Operation 'rollout-restart' is not allowed in read-only mode"],
    // kubectl get -f http://169.254.169.254/... (fetched from the server's host)
    ['kubectl_generic', { command: 'get', args: ['-f', 'http://169.254.169.254/latest/meta-data'] }, "Flag '--f' is not allowed (it reads files or URLs on the server's host)"],
    // kubectl cluster-info dump (kube-system's objects and logs)
    ['kubectl_generic', { command: 'cluster-info', args: ['dump'] }, "Operation 'cluster-info-dump' is not recognized: denied"],
  ];

  it('calls kubectl would have run outside the namespaces, or reading secrets, are denied and kubectl never runs', async () => {
    const before = runs().length;
    for (const [tool, args, reason] of cases) {
      expect(await call(tool, args), `${tool} ${JSON.stringify(args)}`).toContain(`Denied by policy: ${reason}`);
    }
    expect(runs().slice(before)).toEqual([]);
  });

  // A resource named secrets of a custom group (a CRD's) is not Secrets: the old pack read any word
  // starting with "secrets." as Secrets and denied these.
  it('secrets of a custom API group are not Secrets: kubectl runs', async () => {
    const before = runs().length;
    await call('kubectl_get', { resourceType: 'secrets.evil.example.com', namespace: 'default' });
    await call('kubectl_generic', { command: 'get', args: ['secret.v1.evil.example.com/db'], namespace: 'default' });
    expect(runs().slice(before)).toEqual([
      ['get', 'secrets.evil.example.com', '-n', 'default', '-o', 'json'],
      ['get', '--namespace=default', 'secret.v1.evil.example.com/db'],
    ]);
  });

  // Output formats that make kubectl read a file of the server's host and print it (rendered as a
  // template: plain text comes out as it is). The server refuses go-template-file, jsonpath-file and
  // custom-columns-file itself, but not kubectl's alias templatefile: `kubectl get pods -o
  // templatefile --template=/etc/passwd` ran on the old pack.
  const FILE_OUTPUT = "(it reads a file on the server's host)";
  const fileOutputs: Array<[Record<string, unknown>, string]> = [
    [{ command: 'get', resourceType: 'pods', outputFormat: 'templatefile', args: ['--template=/etc/passwd'] }, `Output format 'templatefile' is not allowed ${FILE_OUTPUT}`],
    [{ command: 'get', args: ['pods', '--template=/etc/passwd'], flags: { output: 'templatefile' } }, `Output format 'templatefile' is not allowed ${FILE_OUTPUT}`],
    [{ command: 'get', args: ['pods', '-o', 'templatefile', '--template', '/etc/passwd'] }, `Output format 'templatefile' is not allowed ${FILE_OUTPUT}`],
    [{ command: 'get', resourceType: 'pods', outputFormat: 'go-template-file=/etc/passwd' }, `Output format 'go-template-file=/etc/passwd' is not allowed ${FILE_OUTPUT}`],
    [{ command: 'get', resourceType: 'pods', outputFormat: ['templatefile'], args: ['--template=/etc/passwd'] }, "Argument 'outputFormat' must be a string (got array): denied"],
    [{ command: 'get', args: ['pods', '-ojsonpath-file=/etc/shadow'] }, `Output format 'jsonpath-file=/etc/shadow' is not allowed ${FILE_OUTPUT}`],
    [{ command: 'get', args: ['pods', '--output', 'custom-columns-file=/etc/passwd'] }, `Output format 'custom-columns-file=/etc/passwd' is not allowed ${FILE_OUTPUT}`],
  ];

  it('output formats that read a file of the server\'s host are denied and kubectl never runs', async () => {
    const before = runs().length;
    for (const [args, reason] of fileOutputs) {
      expect(await call('kubectl_generic', args), JSON.stringify(args)).toContain(`Denied by policy: ${reason}`);
    }
    expect(runs().slice(before)).toEqual([]);
    // inline templates print no file
    await call('kubectl_generic', { command: 'get', args: ['pods', '-o', 'jsonpath={.items[*].metadata.name}'], namespace: 'default' });
    expect(runs().slice(before)).toEqual([['get', '--namespace=default', 'pods', '-o', 'jsonpath={.items[*].metadata.name}']]);
  });

  // kubectl_generic and port_forward put no namespace on kubectl's command line unless the call names
  // one: kubectl then works in its kubeconfig context's namespace (in a pod, the pod's own), which
  // need not be default. On the old pack `kubectl get pods` and `kubectl delete pod web` ran so.
  it('kubectl_generic without a namespace is denied while namespaces are restricted, and kubectl never runs', async () => {
    const before = runs().length;
    const reason = "Tool 'kubectl_generic' without a namespace works in kubectl's current context namespace, which the pack cannot check: denied while namespaces are restricted (allowed: default, monitoring; give namespace)";
    expect(await call('kubectl_generic', { command: 'get', resourceType: 'pods' })).toBe(`Denied by policy: ${reason}`);
    expect(await call('kubectl_generic', { command: 'top', args: ['pods'] })).toBe(`Denied by policy: ${reason}`);
    expect(runs().slice(before)).toEqual([]);
    await call('kubectl_generic', { command: 'get', resourceType: 'pods', args: ['-n', 'monitoring'] });
    expect(runs().slice(before)).toEqual([['get', 'pods', '-n', 'monitoring']]);
  });

  it('a resource URI without k8s:// (the server reads kube-system/pods as namespace kube-system) is denied', async () => {
    const read = async (uri: string): Promise<string> => {
      try {
        return JSON.stringify(await k.conn.client.readResource({ uri }));
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(await read('kube-system/pods')).toContain("Denied by policy: Resource 'kube-system/pods' is not a k8s:// resource: denied (namespaces are restricted)");
    expect(await read('k8s://kube-system/pods')).toContain("Namespace 'kube-system' is not allowed");
    expect(s.received().filter((r) => r.kind === 'resource')).toEqual([]);
    // an allowed one reaches the server (which fails on its own: no cluster here)
    await read('k8s://default/pods');
    expect(s.received().filter((r) => r.kind === 'resource').map((r) => r.uri)).toEqual(['k8s://default/pods']);
  });
});
