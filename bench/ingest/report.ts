import type { CacheMemoryResult, RunResult } from './measure.js';

/** Carbonado's figure over carbon-cache's for one connection count; null where either is missing. */
export interface Ratio {
  connections: number;
  accepted: number | null;
  persisted: number | null;
  peakRss: number | null;
  cpu: number | null;
}

/** The project's targets (the issue), judged on the measured figures. */
export interface Targets {
  acceptedOneConnectionAtLeast1M: boolean | null;
  persistedAtLeast10xCarbonCache: boolean | null;
}

const div = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null || b === 0 ? null : a / b;

/**
 * The median of one figure over the repeated runs of a system at a connection count (the lower median
 * for an even count); a null (a persisted timeout) ranks below every rate. Undefined when it never ran.
 */
export function median(
  runs: RunResult[],
  system: string,
  connections: number,
  pick: (r: RunResult) => number | null,
): number | null | undefined {
  const values = runs.filter((r) => r.system === system && r.connections === connections).map(pick);
  if (values.length === 0) return undefined;
  values.sort((a, b) => (a ?? Number.NEGATIVE_INFINITY) - (b ?? Number.NEGATIVE_INFINITY));
  return values[Math.floor((values.length - 1) / 2)];
}

/** Ratios Carbonado / carbon-cache of the medians, per connection count both systems ran. */
export function ratios(runs: RunResult[], ours = 'carbonado', theirs = 'carbon-cache'): Ratio[] {
  const counts = [...new Set(runs.map((r) => r.connections))].sort((a, b) => a - b);
  const out: Ratio[] = [];
  for (const connections of counts) {
    const both = (pick: (r: RunResult) => number | null) =>
      div(median(runs, ours, connections, pick), median(runs, theirs, connections, pick));
    if (!runs.some((r) => r.system === ours && r.connections === connections)) continue;
    if (!runs.some((r) => r.system === theirs && r.connections === connections)) continue;
    out.push({
      connections,
      accepted: both((r) => r.acceptedPointsPerSecond),
      persisted: both((r) => r.persistedPointsPerSecond),
      peakRss: both((r) => r.peakRssBytes),
      cpu: both((r) => r.cpuSeconds),
    });
  }
  return out;
}

/** Judges the targets: >= 1M points/s accepted on one connection, >= 10x carbon-cache persisted. */
export function targets(runs: RunResult[], r: Ratio[]): Targets {
  const one = median(runs, 'carbonado', 1, (x) => x.acceptedPointsPerSecond);
  const persisted = r.map((x) => x.persisted).filter((x): x is number => x !== null);
  return {
    acceptedOneConnectionAtLeast1M: one == null ? null : one >= 1_000_000,
    persistedAtLeast10xCarbonCache: persisted.length ? persisted.every((x) => x >= 10) : null,
  };
}

const MB = 1024 * 1024;
const rate = (x: number | null) => (x === null ? 'timeout' : `${Math.round(x).toLocaleString('en-US')}`);
const times = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);

/** The runs, ratios and cache memory as a plain-text table. */
export function formatTable(runs: RunResult[], r: Ratio[], memory: CacheMemoryResult[]): string {
  const rows = [
    [
      'system',
      'conns',
      'accepted pts/s',
      'persisted pts/s',
      'accept s',
      'persist s',
      'found s',
      'peak RSS MB',
      'CPU s',
      'on disk',
      'wrong',
    ],
    ...runs.map((x) => [
      x.system,
      String(x.connections),
      rate(x.acceptedPointsPerSecond),
      rate(x.persistedPointsPerSecond),
      x.acceptedSeconds.toFixed(3),
      x.persistedSeconds === null ? 'timeout' : x.persistedSeconds.toFixed(3),
      x.detectedSeconds === null ? 'timeout' : x.detectedSeconds.toFixed(3),
      (x.peakRssBytes / MB).toFixed(1),
      x.cpuSeconds.toFixed(2),
      `${x.persistedPoints}/${x.points}`,
      String(x.wrongValues),
    ]),
  ];
  const lines = [align(rows), ''];
  if (r.length) {
    lines.push(
      align([
        ['carbonado / carbon-cache', 'accepted', 'persisted', 'peak RSS', 'CPU s'],
        ...r.map((x) => [
          `${x.connections} connection(s)`,
          times(x.accepted),
          times(x.persisted),
          times(x.peakRss),
          times(x.cpu),
        ]),
      ]),
      '',
    );
  }
  if (memory.length) {
    lines.push(
      align([
        [
          'cache pass (writes deferred)',
          'accepted pts/s',
          'RSS before MB',
          'RSS after MB',
          'cached points',
          'bytes/point',
        ],
        ...memory.map((m) => [
          m.system,
          rate(m.acceptedPointsPerSecond),
          (m.rssBeforeBytes / MB).toFixed(1),
          (m.rssAfterBytes / MB).toFixed(1),
          String(m.cachedPoints),
          m.bytesPerCachedPoint === null ? `invalid: ${m.invalid}` : m.bytesPerCachedPoint.toFixed(1),
        ]),
      ]),
      '',
    );
  }
  return lines.join('\n');
}

function align(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) =>
      row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
    )
    .join('\n');
}
