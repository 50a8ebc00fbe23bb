/**
 * What can be checked of deploy/ and the Containerfile without a container engine: every shipped
 * configuration validates, every pack it names exists, every path the Containerfile copies exists,
 * its entrypoint runs, and the health endpoint its HEALTHCHECK and the Kubernetes probes call
 * answers without a credential and whatever the Host header.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validateConfig } from '../src/config/load.js';
import { CLI, ROOT, startServe } from './helpers/proxy.js';

/** Stand-ins for the ${VARS} the examples reference: validation only checks their shape. */
const ENV = {
  QUBINODE_BACKEND_KEY: 'k',
  KUBECONFIG: '/kube/config',
  NOMAD_MCP_TOKEN: 't',
  ORCHESTRATOR_TOKEN: 't',
  CONTAINARIUM_BACKEND_TOKEN: 't',
  BACKEND_TOKEN: 't',
  ADMIN_TOKEN_HASH: `sha256:${'ab'.repeat(32)}`,
};

function shippedConfigs(): Array<{ name: string; raw: unknown }> {
  const out: Array<{ name: string; raw: unknown }> = [];
  const examples = join(ROOT, 'deploy/examples');
  for (const f of readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
    out.push({ name: `deploy/examples/${f}`, raw: parse(readFileSync(join(examples, f), 'utf8')) });
  }
  out.push({ name: 'deploy/warden.container.yaml', raw: parse(readFileSync(join(ROOT, 'deploy/warden.container.yaml'), 'utf8')) });
  // The Kubernetes manifest embeds warden.yaml in its ConfigMap.
  for (const doc of parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/mcp-warden.yaml'), 'utf8'))) {
    const obj = doc.toJS() as { kind?: string; data?: Record<string, string> };
    if (obj.kind === 'ConfigMap' && obj.data?.['warden.yaml']) out.push({ name: 'deploy/kubernetes ConfigMap', raw: parse(obj.data['warden.yaml']) });
  }
  return out;
}

function getWithHost(base: URL, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: base.hostname, port: base.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deploy/ configurations', () => {
  const configs = shippedConfigs();

  it('ships one example per guide plus the container and Kubernetes defaults', () => {
    expect(configs.map((c) => c.name).sort()).toEqual([
      'deploy/examples/containarium.yaml',
      'deploy/examples/kubernetes.yaml',
      'deploy/examples/nomad.yaml',
      'deploy/examples/orchestrator.yaml',
      'deploy/examples/qubinode.yaml',
      'deploy/kubernetes ConfigMap',
      'deploy/warden.container.yaml',
    ]);
  });

  for (const { name, raw } of configs) {
    it(`${name} validates and names only packs that exist`, () => {
      const config = validateConfig(raw, name, ENV);
      for (const pack of config.policy.paths) expect(existsSync(join(ROOT, 'policies', pack)), `policies/${pack}`).toBe(true);
    });
  }

  it('an example with a missing secret is refused, naming the variable and the key', () => {
    const raw = parse(readFileSync(join(ROOT, 'deploy/examples/nomad.yaml'), 'utf8'));
    expect(() => validateConfig(raw, 'nomad.yaml', {})).toThrow(/backends\[0\]\.bearerToken: environment variable NOMAD_MCP_TOKEN is not set/);
  });
});

describe('Containerfile', () => {
  const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8');

  it('copies only paths that exist in the repository', () => {
    const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) expect(existsSync(join(ROOT, src)), src).toBe(true);
  });

  it('copies every source of the native addons, and the package lists them (node-gyp fails on a missing one)', () => {
    const copied = new Set([...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)));
    const files = new Set((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files);
    // native/: the mapped journal; native/writer/: the audit writer's loop (built on its own).
    for (const dir of ['native', 'native/writer']) {
      const gyp = JSON.parse(readFileSync(join(ROOT, dir, 'binding.gyp'), 'utf8')) as { targets: Array<{ sources: string[] }> };
      const native = readdirSync(join(ROOT, dir)).filter((f) => /\.[ch]$/.test(f));
      for (const source of gyp.targets[0]!.sources) expect(native, `${dir}/${source}`).toContain(source);
      for (const f of ['binding.gyp', ...native]) {
        expect(copied.has(`${dir}/${f}`), `Containerfile: ${dir}/${f}`).toBe(true);
        expect(files.has(`${dir}/${f}`), `package.json files: ${dir}/${f}`).toBe(true);
      }
    }
    // Stage 2 carries both built addons.
    expect(text).toMatch(/^COPY --from=build \/src\/native\/writer\/build\/Release\/warden_writer\.node /m);
  });

  it('runs as a non-root user and its entrypoint command exists', () => {
    expect(text).toMatch(/^USER node$/m);
    const entry = /^ENTRYPOINT \["node", "\/app\/(dist\/cli\/main\.js)"\]$/m.exec(text);
    expect(entry).not.toBeNull();
    const cmd = /^CMD \[(.*)\]$/m.exec(text)!;
    const args = JSON.parse(`[${cmd[1]}]`) as string[];
    expect(args.slice(0, 2)).toEqual(['serve', '--config']);
    // The command line the image runs is accepted by the CLI.
    const help = spawnSync(process.execPath, [join(ROOT, entry![1]!), 'serve', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--config');
  });

  it('serves /healthz without a credential and whatever the Host (container HEALTHCHECK, Kubernetes probes)', async () => {
    expect(text).toContain("fetch('http://127.0.0.1:8080/healthz')");
    const serve = await startServe(`
backends:
  - name: demo
    transport: stdio
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(join(ROOT, 'dist/demo/server.js'))}]
auth: { anonymous: false, apiKeys: [] }
audit: { enabled: false }
`);
    try {
      const base = new URL(serve.url);
      // A probe reaches the pod by its IP: the Host header is not one the MCP endpoint allows.
      const probe = await getWithHost(base, '/healthz', '10.1.2.3:8080');
      expect(probe).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect((await getWithHost(base, '/mcp', '10.1.2.3:8080')).status).toBe(403);
      // The MCP endpoint itself still demands a credential and a known Host.
      const mcp = await fetch(serve.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      expect(mcp.status).toBe(401);
    } finally {
      await serve.stop();
    }
  });
});

describe('systemd unit', () => {
  it('starts serve with a config and reloads with SIGHUP', () => {
    const unit = readFileSync(join(ROOT, 'deploy/systemd/mcp-warden.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/mcp-warden\/dist\/cli\/main\.js serve --config \/etc\/mcp-warden\/warden\.yaml$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(existsSync(CLI)).toBe(true);
  });
});
