import type { Series } from '../../storage/series.js';
import { pyFloatStr, pyStr } from './naming.js';

// graphite-web's functions write `series.tags[name] = value` with whatever Python value they hold;
// its Tags dict stores str(value) (render/datalib.py Tags.__setitem__), so an int window shows as
// "5" and a float minimum as "-24.875" or "3.0".

/** The tags of `s` with one tag set to Python's str() of `value` (`float`: a Python float). */
export function withTag(
  s: Pick<Series, 'tags'>,
  tag: string,
  value: string | number,
  float = false,
): Record<string, string> {
  const text = typeof value === 'number' && float ? pyFloatStr(value) : pyStr(value);
  return { ...s.tags, [tag]: text };
}
