/**
 * Registers every builtin with the engine. Importing this module (the engine does) loads them all.
 * Each module exports `builtins: BuiltinDef[]`.
 */
import { registerBuiltins } from './registry.js';
import { builtins as core } from './core/index.js';

// ---- builtins engineer: add one import per module below, e.g.
// import { builtins as strings } from './strings.js';
import { builtins as strings } from './strings.js';
import { builtins as sprintf } from './sprintf.js';
import { builtins as regex } from './regex.js';
import { builtins as glob } from './glob.js';
import { builtins as encoding } from './encoding.js';
import { builtins as time } from './time.js';

registerBuiltins(core);
// ---- builtins engineer: and one registerBuiltins(...) call per module below, e.g.
// registerBuiltins(strings);
registerBuiltins(strings);
registerBuiltins(sprintf);
registerBuiltins(regex);
registerBuiltins(glob);
registerBuiltins(encoding);
registerBuiltins(time);

export * from './registry.js';
