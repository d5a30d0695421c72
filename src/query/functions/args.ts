import type { Series } from '../../storage/series.js';
import type { BoundArgs } from './registry.js';

// Typed reads of checked arguments. The parameter table has already checked each value, so a read
// of the wrong type is a bug in a function's table, not bad input.

export function seriesListArg(a: BoundArgs, name: string): Series[] {
  const v = a.get(name);
  if (!Array.isArray(v)) throw new Error(`BUG: argument "${name}" is not a seriesList`);
  return v as Series[];
}

/** A `multiple` seriesList parameter: one seriesList per argument. */
export function seriesListsArg(a: BoundArgs, name: string): Series[][] {
  const v = a.get(name);
  if (!Array.isArray(v)) throw new Error(`BUG: argument "${name}" is not a list of seriesLists`);
  return v as Series[][];
}

export function numberArg(a: BoundArgs, name: string): number {
  const v = a.get(name);
  if (typeof v !== 'number') throw new Error(`BUG: argument "${name}" is not a number`);
  return v;
}

/** A number that may be left out (None). */
export function optionalNumberArg(a: BoundArgs, name: string): number | undefined {
  const v = a.get(name);
  return typeof v === 'number' ? v : undefined;
}

export function stringArg(a: BoundArgs, name: string): string {
  const v = a.get(name);
  if (v === null || v === undefined) throw new Error(`BUG: argument "${name}" is missing`);
  return String(v);
}

export function booleanArg(a: BoundArgs, name: string): boolean {
  return Boolean(a.get(name));
}

/** A `multiple` parameter of nodes or tags. */
export function nodesArg(a: BoundArgs, name: string): (number | string)[] {
  const v = a.get(name);
  return Array.isArray(v) ? (v as (number | string)[]) : [];
}

/** An intOrInterval / nodeOrTag / any value as given: a number or a string (or null). */
export function rawArg(a: BoundArgs, name: string): number | string | null {
  const v = a.get(name);
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}
