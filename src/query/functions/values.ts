import type { Series } from '../../storage/series.js';

/**
 * A number as Python sees it after the grammar: an int or a float. The difference survives until
 * parameter checking (an integer parameter refuses a float, as graphite-web's validateInteger does).
 */
export class PyNumber {
  constructor(
    readonly value: number,
    readonly float: boolean,
  ) {}
}

/** What an argument evaluates to before its parameter type is checked. */
export type Value = Series[] | string | boolean | null | PyNumber;

/** Describes a value the way an error message quotes it (Python's repr, roughly). */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v instanceof PyNumber) return pyNumberText(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return `a seriesList of ${v.length} series`;
  return String(v);
}

function pyNumberText(n: PyNumber): string {
  if (!n.float) return String(n.value);
  if (n.value === Number.POSITIVE_INFINITY) return 'inf';
  if (n.value === Number.NEGATIVE_INFINITY) return '-inf';
  return Number.isInteger(n.value) ? `${n.value}.0` : String(n.value);
}
