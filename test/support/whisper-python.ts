import { execFileSync } from 'node:child_process';
import { DEBIAN_PYTHON } from './debian.js';

// Test helper: runs a list of operations through Debian's python3-whisper 1.1.4 in one Python process,
// so differential tests can compare what it writes and reads with ours. NaN/None travel as null and
// infinities as strings, since JSON has neither.

/** One operation for the Python side. */
export type PeerOp =
  | { op: 'create'; path: string; archives: Array<[number, number]>; xff: number; method: string }
  | { op: 'update_many'; path: string; points: Array<[number, number | null]>; now: number }
  | { op: 'fetch'; path: string; from: number; until: number; now: number; archive?: number }
  | { op: 'info'; path: string };

const SCRIPT = `
import json, sys, whisper
def out(v):
    if v is None or v != v: return None
    if v in (float('inf'), float('-inf')): return str(v)
    return v
res = []
for o in json.load(sys.stdin):
    k = o['op']
    if k == 'create':
        whisper.create(o['path'], [tuple(a) for a in o['archives']], o['xff'], o['method'])
        res.append(None)
    elif k == 'update_many':
        pts = [(t, float('nan') if v is None else v) for t, v in o['points']]
        whisper.update_many(o['path'], pts, now=o['now'])
        res.append(None)
    elif k == 'fetch':
        r = whisper.fetch(o['path'], o['from'], o['until'], now=o['now'], archiveToSelect=o.get('archive'))
        res.append(None if r is None else [list(r[0]), [out(v) for v in r[1]]])
    elif k == 'info':
        res.append(whisper.info(o['path']))
json.dump(res, sys.stdout)
`;

/** Runs the operations in order and returns one result per operation (null for writes). */
export function runPython(ops: PeerOp[]): unknown[] {
  const stdout = execFileSync(DEBIAN_PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(ops),
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout.toString('utf8'));
}

/** Our value in the peer's JSON encoding: NaN -> null, ±Infinity -> 'inf' / '-inf'. */
export function peerValue(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return v;
}
