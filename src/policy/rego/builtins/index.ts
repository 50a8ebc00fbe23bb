/**
 * Registers every builtin with the engine. Importing this module (the engine does) loads them all.
 * Each module exports `builtins: BuiltinDef[]`.
 */
import { registerBuiltins } from './registry.js';
import { builtins as core } from './core/index.js';

// ---- builtins engineer: add one import per module below, e.g.
// import { builtins as strings } from './strings.js';

registerBuiltins(core);
// ---- builtins engineer: and one registerBuiltins(...) call per module below, e.g.
// registerBuiltins(strings);

export * from './registry.js';
