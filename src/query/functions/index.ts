import { ALIAS } from './alias.js';
import { APPLY } from './apply.js';
import { CALCULATE } from './calculate.js';
import { COMBINE } from './combine.js';
import { FILTER_DATA } from './filter-data.js';
import { FILTER_SERIES } from './filter-series.js';
import { GRAPH } from './graph.js';
import { HOLT_WINTERS } from './holt-winters.js';
import { RATIO } from './ratio.js';
import { Registry } from './registry.js';
import { SORT } from './sort.js';
import { SPECIAL } from './special.js';
import { TIME } from './time.js';
import { TRANSFORM } from './transform.js';
import { WINDOW } from './window.js';

/** Every series function Carbonado implements, one family per file. */
export function defaultRegistry(): Registry {
  return new Registry().add(
    ...COMBINE,
    ...ALIAS,
    ...TRANSFORM,
    ...FILTER_SERIES,
    ...FILTER_DATA,
    ...SORT,
    ...WINDOW,
    ...TIME,
    ...CALCULATE,
    ...RATIO,
    ...HOLT_WINTERS,
    ...SPECIAL,
    ...GRAPH,
    ...APPLY,
  );
}
