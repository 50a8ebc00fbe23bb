/** Core builtins owned by the engine: operators, arithmetic, sets, aggregates, types, membership. */
import type { BuiltinDef } from '../registry.js';
import { arithBuiltins } from './arith.js';
import { setBuiltins } from './sets.js';
import { aggregateBuiltins } from './aggregates.js';
import { typeBuiltins } from './types.js';

export const builtins: BuiltinDef[] = [...arithBuiltins, ...setBuiltins, ...aggregateBuiltins, ...typeBuiltins];
