/** Every CLI command module; each exports register(program). Add one import and one entry per command. */
import type { Command } from 'commander';
import * as audit from './audit.js';
import * as config from './config.js';
import * as keys from './keys.js';
import * as policy from './policy.js';
import * as serve from './serve.js';
import * as wrap from './wrap.js';

export const commandModules: ReadonlyArray<{ register(program: Command): void }> = [
  audit,
  config,
  keys,
  policy,
  serve,
  wrap,
];
