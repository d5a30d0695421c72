import { ALIAS } from './alias.js';
import { COMBINE } from './combine.js';
import { Registry } from './registry.js';
import { TRANSFORM } from './transform.js';

/** Every series function Carbonado implements, one family per file. */
export function defaultRegistry(): Registry {
  return new Registry().add(...COMBINE, ...ALIAS, ...TRANSFORM);
}
