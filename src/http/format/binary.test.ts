import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../../test/support/debian.js';
import type { Series } from '../../storage/series.js';
import { msgpackSeriesInfo } from './msgpack.js';
import { pickleSeriesInfo } from './pickle.js';

// Expected bytes are what Debian's Python 3.11 writes for the same getInfo() list:
// pickle.dumps(..., protocol=-1) and graphite/umsgpack.py's dump(..., use_bin_type=True).

function series(name: string, start: number, step: number, values: number[], pathExpression = name): Series {
  return {
    name,
    tags: { name },
    start,
    end: start + values.length * step,
    step,
    values: Float64Array.from(values),
    pathExpression,
    xFilesFactor: 0,
  };
}

const tiny = [series('a.b', 60, 10, [1.5, Number.NaN, -2], 'a.*')];

test('pickle: exact bytes of a tiny answer and of an empty one', () => {
  assert.equal(
    pickleSeriesInfo(tiny).toString('hex'),
    '800595b0000000000000005d947d94288c046e616d65948c03612e62948c057374617274944b3c8c03656e64944b5a8c04' +
      '73746570944b0a8c0676616c756573945d9428473ff80000000000004e47c000000000000000658c0e70617468457870' +
      '72657373696f6e948c03612e2a948c0e76616c756573506572506f696e74944b018c11636f6e736f6c69646174696f6e' +
      '46756e63948c0761766572616765948c0c7846696c6573466163746f729447000000000000000075612e',
  );
  // A frame under 4 bytes has no FRAME header.
  assert.equal(pickleSeriesInfo([]).toString('hex'), '80055d942e');
});

test('msgpack: exact bytes of a tiny answer and of an empty one', () => {
  assert.equal(
    msgpackSeriesInfo(tiny).toString('hex'),
    '9189a46e616d65a3612e62a573746172743ca3656e645aa4737465700aa676616c75657393cb3ff8000000000000c0cb' +
      'c000000000000000ae7061746845787072657373696f6ea3612e2aae76616c756573506572506f696e7401b1636f6e73' +
      '6f6c69646174696f6e46756e63a761766572616765ac7846696c6573466163746f72cb0000000000000000',
  );
  assert.equal(msgpackSeriesInfo([]).toString('hex'), '90');
});

// Odd shapes against Python itself: 64 KiB frames, APPENDS batches of 1000 (and a last batch of one),
// memo indexes past 255 (LONG_BINGET), names over 255 bytes (BINUNICODE, str16), timestamps past
// 2^31 (LONG1, uint64), negative ones, 1,200 series (array16).
function shapes(n: number, len: number, gapEvery: number, pathExpression: string, start: number): Series[] {
  return Array.from({ length: n }, (_, s) => {
    const values = Array.from({ length: len }, (_, i) =>
      gapEvery && i % gapEvery === 0 ? Number.NaN : ((i * 7919) % 1000) / 8 - 25 + s,
    );
    const name = `a.b${s}.${'x'.repeat(s % 3 === 0 ? 300 : 2)}`;
    return { ...series(name, start, 10, values, pathExpression), xFilesFactor: s % 2 ? 0.5 : 0 };
  });
}

const PYTHON = `
import sys, json, pickle, io
import graphite.umsgpack as umsgpack
spec = json.loads(sys.stdin.read())
pes = {}
out = []
for s in spec:
  pe = pes.setdefault(s['pathExpression'], s['pathExpression'])  # one object per fetch, as upstream
  out.append({'name': s['name'], 'start': s['start'], 'end': s['end'], 'step': s['step'],
              'values': [None if v is None else float(v) for v in s['values']], 'pathExpression': pe,
              'valuesPerPoint': 1, 'consolidationFunc': 'average', 'xFilesFactor': float(s['xFilesFactor'])})
if sys.argv[1] == 'pickle':
  sys.stdout.buffer.write(pickle.dumps(out, protocol=-1))
else:
  b = io.BytesIO(); umsgpack.dump(out, b, use_bin_type=True); sys.stdout.buffer.write(b.getvalue())
`;

const noPython = ensureDebianPackages(['graphite-web']) ?? false;

test('pickle and msgpack: byte-identical to Python on odd shapes', { skip: noPython }, () => {
  const cases: [string, Series[]][] = [
    ['one value', shapes(1, 1, 0, 'a.*', 60)],
    ['no values', shapes(2, 0, 0, 'a.*', 60)],
    ['frames', shapes(5, 2500, 3, 'a.*', 1_700_000_000)],
    ['batch of one', shapes(3, 1001, 0, 'a.*', -5)],
    ['many series', shapes(1200, 20, 4, 'x.*', 70_000)],
    ['big numbers', shapes(3, 5, 2, 'n', 1e10)],
    ['negative', shapes(3, 5, 2, 'n', -3_000_000_000)],
  ];
  for (const [label, list] of cases) {
    const spec = JSON.stringify(
      list.map((s) => ({ ...s, values: Array.from(s.values, (v) => (Number.isNaN(v) ? null : v)) })),
    );
    for (const [format, ours] of [
      ['pickle', pickleSeriesInfo(list)],
      ['msgpack', msgpackSeriesInfo(list)],
    ] as const) {
      const r = spawnSync(DEBIAN_PYTHON, ['-c', PYTHON, format], { input: spec, maxBuffer: 1 << 28 });
      assert.equal(r.status, 0, r.stderr.toString());
      assert.ok(
        ours.equals(r.stdout),
        `${format}, ${label}: ${ours.length} bytes; Python wrote ${r.stdout.length}`,
      );
    }
  }
});
