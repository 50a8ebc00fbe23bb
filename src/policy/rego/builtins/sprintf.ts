/**
 * sprintf(format, values): Go fmt semantics (see gofmt.ts) with Rego operands handed over as OPA does:
 * integers as int (or *big.Int beyond int64), other numbers as float64, strings as string, and every
 * other value as its Rego text (so `%v` of an array prints `["a", 1]`).
 */
import { BigNum, formatValue, type Value } from '../value/index.js';
import { type BuiltinDef } from './registry.js';
import { str, operandTypeError } from './operands.js';
import { fitsInt64, goSprintf, type FmtArg } from './gofmt.js';

export function toFmtArg(v: Value): FmtArg {
  if (typeof v === 'string') return { t: 'str', v };
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return { t: 'int', v: BigInt(v) };
    return { t: 'float', v };
  }
  if (v instanceof BigNum) {
    if (v.int !== null) return fitsInt64(v.int) ? { t: 'int', v: v.int } : { t: 'big', v: v.int };
    const f = Number(v.text);
    if (Number.isFinite(f)) return { t: 'float', v: f };
    return { t: 'str', v: v.text };
  }
  return { t: 'str', v: formatValue(v) };
}

/**
 * The common policy case — plain %s / %v / %d with strings and safe integers, one operand per verb —
 * formatted without building Go operand descriptors; undefined when the general path is needed.
 */
function simpleFormat(format: string, list: Value[]): string | undefined {
  let out = '';
  let last = 0;
  let argi = 0;
  for (let i = format.indexOf('%'); i >= 0; i = format.indexOf('%', i)) {
    const verb = format.charCodeAt(i + 1);
    out += format.slice(last, i);
    if (verb === 37) {
      out += '%';
    } else {
      const a = list[argi++];
      if (typeof a === 'string') {
        if (verb !== 115 && verb !== 118) return undefined; // %s %v
        out += a;
      } else if (typeof a === 'number' && Number.isSafeInteger(a)) {
        if (verb !== 100 && verb !== 118) return undefined; // %d %v
        out += String(a);
      } else return undefined;
    }
    i += 2;
    last = i;
  }
  if (argi !== list.length) return undefined;
  return out + format.slice(last);
}

function sprintf(args: Value[]): Value {
  const format = str(args[0]!, 1);
  const list = args[1]!;
  if (!Array.isArray(list)) throw operandTypeError(2, list, 'array');
  const simple = simpleFormat(format, list);
  if (simple !== undefined) return simple;
  const fa: FmtArg[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) fa[i] = toFmtArg(list[i]!);
  return goSprintf(format, fa);
}

export const builtins: BuiltinDef[] = [{ name: 'sprintf', arity: 2, fn: sprintf }];
