/**
 * `input.prompt.backend_name`: the backend's own name of a prompt, beside the name the client uses
 * (namespaced `<backend>__<name>` when serve has several backends), as `input.tool.backend_name` is
 * for tools. A rule written for a prompt's own name (`simple-prompt`) used to see only the
 * namespaced one behind a shared endpoint: it never matched, and the prompt it denies was listed,
 * got and completed. Real serve (stdio client) in front of two server-everything backends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineClient } from './helpers/line-client.js';
import { EVERYTHING } from './helpers/proxy.js';

const POLICY = `package mcp.authz

import rego.v1

allow := true

deny contains "simple prompts are not offered" if input.prompt.backend_name == "simple-prompt"

deny contains "no completions for team management" if {
	input.method == "completion/complete"
	input.prompt.backend_name == "completable-prompt"
}
`;

describe('input.prompt.backend_name with several backends', () => {
  let dir: string;
  let client: LineClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-prompt-names-'));
    const policy = join(dir, 'prompts.rego');
    await writeFile(policy, POLICY);
    const backend = (name: string): string => `  - { name: ${name}, transport: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING)}] }`;
    const config = join(dir, 'warden.yaml');
    await writeFile(config, `backends:\n${backend('a')}\n${backend('b')}\npolicy: { paths: [${JSON.stringify(policy)}], watch: false }\naudit: { enabled: false }\n`);
    client = new LineClient(['serve', '--config', config, '--stdio', '--no-http']);
    expect((await client.initialize()).result).toBeDefined();
  });
  afterAll(async () => {
    client?.proc.stdin.end();
    await client?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('hides the prompt from prompts/list on every backend', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    for (let id = 1; id < 10; id++) {
      const page = await client.request(id, 'prompts/list', cursor === undefined ? {} : { cursor });
      const result = page.result as { prompts: Array<{ name: string }>; nextCursor?: string };
      names.push(...result.prompts.map((p) => p.name));
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    expect(names).toContain('a__args-prompt');
    expect(names).toContain('b__args-prompt');
    expect(names.filter((n) => n.endsWith('simple-prompt'))).toEqual([]);
  });

  it('denies prompts/get of it under its namespaced name', async () => {
    const answer = await client.request(20, 'prompts/get', { name: 'b__simple-prompt' });
    expect(answer.error).toMatchObject({ code: -32001, data: { reasons: ['simple prompts are not offered'] } });
    const other = await client.request(21, 'prompts/get', { name: 'a__args-prompt', arguments: { city: 'Paris' } });
    expect(other.result).toBeDefined();
  });

  it('denies completion/complete for it', async () => {
    const answer = await client.request(30, 'completion/complete', { ref: { type: 'ref/prompt', name: 'a__completable-prompt' }, argument: { name: 'department', value: 'E' } });
    expect(answer.error).toMatchObject({ code: -32001, data: { reasons: ['no completions for team management'] } });
  });
});
