/** Rego value model: types, ordering, equality, hashing, JSON conversion and formatting. */
export * from './types.js';
export * from './compare.js';
export * from './object.js';
export * from './hash.js';
export * from './json.js';
export * from './format.js';
export * from './numbers.js';
export { RSet, RObject } from './collections.js';
