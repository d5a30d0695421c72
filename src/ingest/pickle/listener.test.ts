import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../../../test/support/debian.js';
import { FakeSink } from '../../../test/support/ingest-fake-sink.js';
import { setQuiet } from '../../log.js';
import { PickleReceiver } from './listener.js';

before(() => setQuiet(true));
after(() => setQuiet(false));

async function client(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

function send(s: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));
}

function framed(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** Protocol-2 pickle of [(name, (ts, value)), ...] written by hand: PROTO, EMPTY_LIST, MARK, items, APPENDS, STOP. */
function pickle2(items: [string, number, number][]): Buffer {
  const parts = [Buffer.from([0x80, 2, 0x5d, 0x28])];
  for (const [name, ts, value] of items) {
    const n = Buffer.from(name);
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(n.length, 1);
    const nums = Buffer.alloc(18);
    nums[0] = 0x47; // BINFLOAT
    nums.writeDoubleBE(ts, 1);
    nums[9] = 0x47;
    nums.writeDoubleBE(value, 10);
    parts.push(head, n, nums, Buffer.from([0x86, 0x86])); // TUPLE2 twice
  }
  parts.push(Buffer.from([0x65, 0x2e])); // APPENDS, STOP
  return Buffer.concat(parts);
}

test('frames split byte by byte, several frames per chunk, bad frames and items skipped', async () => {
  const sink = new FakeSink();
  const rx = new PickleReceiver({ port: 0, sink });
  await rx.start();
  const c = await client(rx.address().port);
  const first = framed(pickle2([['a.b', 1700000000, 1.5]]));
  for (const b of first) await send(c, Buffer.from([b]));
  await sink.waitFor(1);
  await send(
    c,
    Buffer.concat([
      framed(Buffer.from("cos\nsystem\n(S'touch /tmp/carbonado-pwned'\ntR.", 'latin1')),
      framed(
        pickle2([
          ['bad..name', 1, 1],
          ['c', 1700000001, 2],
        ]),
      ),
      framed(Buffer.from([0x80, 2, 0x5d])), // truncated: no STOP
      framed(
        pickle2([
          ['d', 1700000002, 3],
          ['e', -7, 1],
        ]),
      ),
    ]),
  );
  await sink.waitFor(3);
  assert.deepEqual(sink.points, [
    { name: 'a.b', timestamp: 1700000000, value: 1.5 },
    { name: 'c', timestamp: 1700000001, value: 2 },
    { name: 'd', timestamp: 1700000002, value: 3 },
  ]);
  const s = rx.stats();
  assert.equal(s.metricsReceived, 3);
  assert.equal(s['errors.badPickle'], 2);
  assert.equal(s['errors.badName'], 1);
  assert.equal(s['errors.badTimestamp'], 1);
  assert.equal(s.errors, 4);
  assert.equal(s.connectionsOpen, 1);
  c.destroy();
  await rx.stop();
  await rx.stop();
});

test('a huge length prefix closes that connection and is counted; others go on', async () => {
  const sink = new FakeSink();
  const rx = new PickleReceiver({ port: 0, sink, maxFrameLength: 1000 });
  await rx.start();
  const port = rx.address().port;
  const good = await client(port);
  const bad = await client(port);
  const closed = new Promise((resolve) => bad.once('close', resolve));
  bad.on('error', () => {});
  await send(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80]));
  await closed;
  assert.equal(rx.stats()['errors.frameTooLarge'], 1);
  await send(good, framed(pickle2([['still.here', 1, 1]])));
  await sink.waitFor(1);
  assert.deepEqual(sink.names(), ['still.here']);
  good.destroy();
  await rx.stop();
});

test('a paused sink pauses reading; onResume resumes it', async () => {
  const sink = new FakeSink();
  sink.pauseAt = 1;
  const rx = new PickleReceiver({ port: 0, sink });
  await rx.start();
  const c = await client(rx.address().port);
  await send(c, framed(pickle2([['p.1', 1, 1]])));
  await sink.waitFor(1);
  assert.equal(rx.stats().paused, 1);
  await send(c, framed(pickle2([['p.2', 2, 2]])));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(sink.points.length, 1, 'read while paused');
  sink.resume();
  await sink.waitFor(2);
  assert.deepEqual(sink.names(), ['p.1', 'p.2']);
  c.destroy();
  await rx.stop();
});

test("carbon's own client code sends pickles we accept", async (t) => {
  const skip = ensureDebianPackages(['graphite-carbon']);
  if (skip) return t.skip(skip);
  const sink = new FakeSink();
  const rx = new PickleReceiver({ port: 0, sink });
  await rx.start();
  // carbon/client.py's CarbonPickleClientProtocol sends pickle.dumps(datapoints, protocol=2) through
  // Int32StringReceiver.sendString (a "!I" length prefix); do the same from Debian's Python.
  const script = `
import pickle, socket, struct, sys
data = [("py.%d" % i, (1700000000 + i, i * 0.5)) for i in range(1000)]
payload = pickle.dumps(data, protocol=2)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack("!I", len(payload)) + payload)
s.close()
`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script, String(rx.address().port)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  await sink.waitFor(1000);
  assert.deepEqual(sink.points[999], { name: 'py.999', timestamp: 1700000999, value: 499.5 });
  assert.equal(rx.stats().metricsReceived, 1000);
  await rx.stop();
});
