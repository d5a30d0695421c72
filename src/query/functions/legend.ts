// How graphite-web formats numbers into legend names (cactiStyle, legendValue): Python's '%.2f',
// which rounds exact ties to even (JavaScript's toFixed rounds them up), and glyph.py's
// format_units for the si and binary unit systems.

/** Python's `'%.{digits}f' % x`. */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const fixed = x.toFixed(digits);
  // An exact tie shows as a 5 followed only by zeros in the exact decimal expansion of the double.
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 30));
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(rest)) return fixed;
  // A tie: toFixed went away from zero; Python goes to the even neighbour.
  const lastDigit = Number(fixed[fixed.length - 1]);
  if (lastDigit % 2 === 0) return fixed;
  const down = (Math.abs(x) - 0.5 * 10 ** -digits).toFixed(digits);
  return x < 0 ? `-${down}` : down;
}

const UNIT_SYSTEMS: Record<string, [string, number][]> = {
  binary: [
    ['Pi', 1024 ** 5],
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ],
  si: [
    ['P', 1000 ** 5],
    ['T', 1000 ** 4],
    ['G', 1000 ** 3],
    ['M', 1000 ** 2],
    ['k', 1000],
  ],
};

/** glyph.format_units(v, system=system, units=units): the value scaled and its prefix. */
export function formatUnits(v: number, system: string, units?: string): [number, string] {
  for (const [prefix, size] of UNIT_SYSTEMS[system] ?? []) {
    if (Math.abs(v) >= size) {
      let v2 = v / size;
      if (v2 - Math.floor(v2) < 0.00000000001 && v > 1) v2 = Math.floor(v2);
      return [v2, units ? `${prefix}${units}` : prefix];
    }
  }
  let w = v;
  if (w - Math.floor(w) < 0.00000000001 && w > 1) w = Math.floor(w);
  return [w, units ?? ''];
}

/** Python's `'%*s' % (width, s)`: a negative width pads on the right, a positive one on the left. */
export function pad(s: string, width: number): string {
  return width < 0 ? s.padEnd(-width) : s.padStart(width);
}
