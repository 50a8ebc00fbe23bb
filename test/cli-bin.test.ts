/**
 * The package's bin (`mcp-warden`, dist/cli/main.js) as the README runs it on a fresh clone
 * (`npx mcp-warden serve`): executable after the build (tsc writes it 0644; postbuild sets the
 * mode), with a shebang, and answering --version when run as a program, not through node.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers/proxy.js';

describe('the mcp-warden bin', () => {
  it('is the built CLI, executable, and runs as a program', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
    expect(join(ROOT, pkg.bin['mcp-warden']!)).toBe(CLI);
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(execFileSync(CLI, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });
});
