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
import { builtins as objects } from './objects.js';
import { builtins as arrays } from './arrays.js';
import { builtins as json_patch } from './json-patch.js';
import { builtins as graph } from './graph.js';
import { builtins as units } from './units.js';
import { builtins as semver } from './semver.js';
import { builtins as net } from './net.js';
import { builtins as crypto } from './crypto.js';
import { builtins as jwt } from './jwt.js';
import { builtins as uuid } from './uuid.js';
import { builtins as bits } from './bits.js';
import { builtins as providers } from './providers.js';
import { builtins as cryptoKeys } from './crypto-keys.js';
import { builtins as template } from './template.js';
import { builtins as x509 } from './x509.js';
import { builtins as jsonschema } from './jsonschema.js';
import { builtins as graphql } from './graphql.js';
import { builtins as regoParse } from './rego-parse.js';

registerBuiltins(core);
// ---- builtins engineer: and one registerBuiltins(...) call per module below, e.g.
// registerBuiltins(strings);
registerBuiltins(strings);
registerBuiltins(sprintf);
registerBuiltins(regex);
registerBuiltins(glob);
registerBuiltins(encoding);
registerBuiltins(time);
registerBuiltins(objects);
registerBuiltins(arrays);
registerBuiltins(json_patch);
registerBuiltins(graph);
registerBuiltins(units);
registerBuiltins(semver);
registerBuiltins(net);
registerBuiltins(crypto);
registerBuiltins(jwt);
registerBuiltins(uuid);
registerBuiltins(bits);
registerBuiltins(providers);
registerBuiltins(cryptoKeys);
registerBuiltins(template);
registerBuiltins(x509);
registerBuiltins(jsonschema);
registerBuiltins(graphql);
registerBuiltins(regoParse);

export * from './registry.js';
