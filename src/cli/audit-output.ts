/**
 * Output of the `audit` commands: a fixed-width table for people (default on a TTY), JSON or
 * NDJSON for programs, plus parsing of time arguments (ISO dates, epoch milliseconds or a
 * duration ago such as 15m, 2h, 7d).
 */
import { parseAuditTime, type AuditEntry, type AuditStats } from '../audit/index.js';
import { CliError, EXIT } from './errors.js';

export type OutputFormat = 'table' | 'json' | 'ndjson';

/** Parses --since/--until: "2026-01-31", "2026-01-31T10:00:00Z", epoch ms, or "15m"/"2h"/"7d" ago. */
export function parseTime(value: string, option: string, now: number = Date.now()): number {
  try {
    return parseAuditTime(value, now);
  } catch (err) {
    throw new CliError(`${option}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

export function chooseFormat(opts: { json?: boolean; ndjson?: boolean; table?: boolean }): OutputFormat {
  if (opts.json) return 'json';
  if (opts.ndjson) return 'ndjson';
  if (opts.table) return 'table';
  return process.stdout.isTTY ? 'table' : 'ndjson';
}

function target(e: AuditEntry): string {
  const name = e.tool ?? e.prompt ?? e.resource ?? '';
  return e.backend && name ? `${name} @${e.backend}` : name || (e.backend ?? '');
}

/**
 * Characters a terminal acts on rather than shows: C0 and C1 controls and DEL (ESC starts the
 * sequences that clear the screen, set the window title, or rewrite what is already shown; U+009B
 * is CSI in one character), and the bidirectional formatting marks that display text in another
 * order than it is stored. Every cell the table prints comes from a row, and most of a row from a
 * client (tool names, resource URIs, its name, policy reasons made of them).
 */
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same, but C0: JSON.stringify escapes those within strings, and its indentation is newlines. */
const JSON_RAW_CONTROLS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeControl = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `value` with each terminal control written as a visible `\uXXXX` (whitespace runs first made one space). */
export function printable(value: string): string {
  return value.replace(/[\t\n\r\v\f ]+/g, ' ').replace(TERMINAL_CONTROLS, escapeControl);
}

/**
 * JSON text with the controls JSON.stringify leaves raw (DEL, C1, bidirectional marks, U+2028/9)
 * escaped too: the same JSON value, safe to print on a terminal (NDJSON on a TTY, `tail -f`).
 */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_RAW_CONTROLS, escapeControl);
}

function cell(value: string, width: number): string {
  const flat = printable(value);
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width);
}

const COLUMNS: Array<[string, number, (e: AuditEntry) => string]> = [
  ['SEQ', 7, (e) => String(e.seq)],
  ['TIME', 24, (e) => new Date(e.time).toISOString()],
  ['CLIENT', 26, (e) => (e.clientName && e.clientName !== e.clientId ? `${e.clientId} (${e.clientName})` : e.clientId)],
  ['ROLES', 16, (e) => (e.roles === null ? '-' : e.roles.join(','))],
  ['METHOD', 16, (e) => e.method],
  ['TARGET', 36, target],
  ['DECISION', 11, (e) => e.decision],
  ['OUTCOME', 12, (e) => e.outcome + (e.errorCode !== null ? ` ${e.errorCode}` : '')],
  ['MS', 8, (e) => (((e.backendMicros ?? 0) + e.decisionMicros) / 1000).toFixed(1)],
  ['REASONS', 40, (e) => e.reasons.join('; ')],
];

export function tableHeader(): string {
  return COLUMNS.map(([name, width]) => cell(name, width)).join(' ').trimEnd();
}

export function tableRow(e: AuditEntry): string {
  return COLUMNS.map(([, width, get]) => cell(get(e), width)).join(' ').trimEnd();
}

export function writeEntries(rows: AuditEntry[], format: OutputFormat, out: NodeJS.WritableStream = process.stdout): void {
  if (format === 'json') {
    out.write(`${jsonText(rows, 2)}\n`);
  } else if (format === 'ndjson') {
    for (const r of rows) out.write(`${jsonText(r)}\n`);
  } else {
    out.write(`${tableHeader()}\n`);
    for (const r of rows) out.write(`${tableRow(r)}\n`);
  }
}

export function writeStats(stats: AuditStats, format: OutputFormat, out: NodeJS.WritableStream = process.stdout): void {
  if (format !== 'table') {
    out.write(`${jsonText(stats, format === 'json' ? 2 : undefined)}\n`);
    return;
  }
  const section = (title: string, rows: Array<{ key: string | null; count: number }>): void => {
    out.write(`${title}\n`);
    for (const r of rows) out.write(`  ${cell(r.key ?? '(none)', 40)} ${r.count}\n`);
  };
  out.write(`total ${stats.total}\n`);
  section('by client', stats.byClient);
  section('by tool', stats.byTool);
  section('by decision', stats.byDecision);
  section('by role', stats.byRole);
  out.write('by client, tool, decision\n');
  for (const r of stats.byClientToolDecision) {
    out.write(`  ${cell(r.client, 24)} ${cell(r.tool ?? '(none)', 28)} ${cell(r.decision, 11)} ${r.count}\n`);
  }
  if (stats.truncated !== undefined) out.write(`(cut to the largest groups: ${stats.truncated.join(', ')}; --top sets how many)\n`);
}
