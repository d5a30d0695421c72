import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { DEBIAN_PYTHON } from '../../../test/support/debian.js';
import { msgpackFindNodes } from './msgpack.js';
import { type FindNodeInfo, pickleFindNodes } from './pickle.js';

// /metrics/find?format=pickle|msgpack bodies for tiny inputs, pinned to what Debian's Python writes for
// the same nodes: pickle.dumps(nodes, protocol=-1) (each path its own str object) and graphite-web's
// bundled umsgpack.dumps. test/cluster.test.ts checks the same against a live request.

const NODES: FindNodeInfo[] = [
  { path: 'a.b', isLeaf: false },
  { path: 'a.c', isLeaf: true, intervals: [[0, 1700000000]] },
];

test('pickleFindNodes: CPython 3.11 protocol 5 bytes', () => {
  assert.equal(
    pickleFindNodes(NODES).toString('hex'),
    '80059553000000000000005d94287d94288c0470617468948c03612e62948c0769735f6c6561669489757d94286802' +
      '8c03612e63946804888c09696e74657276616c73945d944700000000000000004741d954fc4000000086946175652e',
  );
  // An empty find: a frame under 4 bytes has no FRAME header.
  assert.equal(pickleFindNodes([]).toString('hex'), '80055d942e');
});

test('msgpackFindNodes: umsgpack bytes, bools as c2/c3, intervals as float64 pairs', () => {
  assert.equal(
    msgpackFindNodes(NODES).toString('hex'),
    '9282a470617468a3612e62a769735f6c656166c283a470617468a3612e63a769735f6c656166c3a9696e74657276616c' +
      '739192cb0000000000000000cb41d954fc40000000',
  );
  assert.equal(msgpackFindNodes([]).toString('hex'), '90');
});

test('pickleFindNodes: 5,000 nodes byte for byte as CPython (frames, batches, LONG_BINGET)', (t) => {
  if (!fs.existsSync(DEBIAN_PYTHON)) return t.skip(`${DEBIAN_PYTHON} (Debian's python3) is not installed`);
  const many: FindNodeInfo[] = Array.from({ length: 5000 }, (_, i) =>
    i % 3 === 0
      ? { path: `m.${i}`, isLeaf: false }
      : { path: `m.${i}`, isLeaf: true, intervals: [[0.5 * i, 1700000000 + i]] },
  );
  const script = `import pickle, sys
nodes = [dict(path='m.%d' % i, is_leaf=False) if i % 3 == 0 else
         dict(path='m.%d' % i, is_leaf=True, intervals=[(0.5 * i, float(1700000000 + i))]) for i in range(5000)]
sys.stdout.buffer.write(pickle.dumps(nodes, protocol=-1))`;
  const py = spawnSync(DEBIAN_PYTHON, ['-c', script], { encoding: 'buffer' });
  assert.equal(py.status, 0, py.stderr.toString());
  const ours = pickleFindNodes(many);
  assert.ok(ours.length > 2 * 65536, `${ours.length} bytes: several frames`);
  assert.ok(ours.equals(py.stdout), 'bytes differ from CPython');
});
