/**
 * A METADATA block's YAML as OPA v1 reads it: gopkg.in/yaml.v3 into the Go struct rawAnnotation
 * (v1/ast/parser.go), not sigs.k8s.io/yaml as data files are (loader.ts). So values without a Go
 * type (under custom, authors, related_resources, schemas) are YAML 1.2: `yes` stays the string
 * "yes"; merge keys apply; a key written twice is an error. The typed fields follow yaml.v3's
 * decoding into Go types:
 *   - scope, title, description (string): a scalar's text as written (`title: 0755` is "0755",
 *     `title: true` is "true"); null is "", which OPA leaves out.
 *   - entrypoint (bool): true/false, and YAML 1.1's y/yes/on/n/no/off words (yaml.v3 takes them
 *     for a Go bool, quoted or not); false is left out; any other scalar is an error.
 *   - organizations ([]string): each item's text.
 * A mapping or sequence where a string is wanted (or a scalar where a sequence is) is an error, as
 * yaml.v3's "cannot unmarshal". Values under custom that yaml.v3 reads otherwise than YAML 1.2
 * (0755 as octal, 1_000, 0b101, timestamps) are not reproduced.
 */
import YAML from 'yaml';

export class MetadataYamlError extends Error {}

const STRING_FIELDS = ['scope', 'title', 'description'] as const;
const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
const OPTIONS = { merge: true, uniqueKeys: true, logLevel: 'error' } as const;

type Doc = Record<string, unknown>;

function isMapping(x: unknown): x is Doc {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function yamlKind(x: unknown): string {
  if (Array.isArray(x)) return '!!seq';
  if (isMapping(x)) return '!!map';
  return `!!${typeof x === 'boolean' ? 'bool' : typeof x === 'number' || typeof x === 'bigint' ? 'number' : 'str'}`;
}

function cannot(field: string, value: unknown, into: string): never {
  throw new MetadataYamlError(`${field}: cannot unmarshal ${yamlKind(value)} into ${into}`);
}

/** a Go string field: the scalar's text (from the failsafe reading), "" for null */
function goString(field: string, value: unknown, text: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof text !== 'string') cannot(field, value, 'string');
  return text;
}

/** the METADATA document with its typed fields as OPA's Go struct holds them */
export function readMetadataYaml(source: string): Doc {
  const value = YAML.parse(source, OPTIONS) as unknown;
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) cannot('METADATA', value, 'a mapping');
  const text = YAML.parse(source, { ...OPTIONS, schema: 'failsafe' }) as Doc;
  const doc: Doc = { ...value };
  for (const field of STRING_FIELDS) {
    if (!(field in doc)) continue;
    const s = goString(field, doc[field], text[field]);
    if (s === '') delete doc[field];
    else doc[field] = s;
  }
  if ('entrypoint' in doc) {
    const v = doc.entrypoint;
    const t = text.entrypoint;
    let b: boolean;
    if (v === null || typeof v === 'boolean') b = v === true;
    else if (typeof t === 'string' && (TRUE_WORDS.has(t) || FALSE_WORDS.has(t))) b = TRUE_WORDS.has(t);
    else cannot('entrypoint', v, 'bool');
    if (b) doc.entrypoint = true;
    else delete doc.entrypoint;
  }
  if ('organizations' in doc) {
    const v = doc.organizations;
    if (v === null) delete doc.organizations;
    else if (!Array.isArray(v)) cannot('organizations', v, '[]string');
    else doc.organizations = v.map((item, i) => goString('organizations', item, (text.organizations as unknown[])[i]));
  }
  return doc;
}
