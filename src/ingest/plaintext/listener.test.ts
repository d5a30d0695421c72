import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { FakeSink } from '../../../test/support/ingest-fake-sink.js';
import { setQuiet } from '../../log.js';
import { PlaintextTcpReceiver, PlaintextUdpReceiver } from './listener.js';

before(() => setQuiet(true));
after(() => setQuiet(false));

const NOW_MS = 1_700_000_123_456;
const clock = () => NOW_MS;

async function tcpClient(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  return s;
}

function send(s: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));
}

/** Resolves after the event loop has polled for I/O `n` times. */
async function loopTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Resolves once `cond()` holds, checking after each I/O poll of the event loop (no timers). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

test('TCP: good lines arrive as points, with -1 meaning now', async () => {
  const sink = new FakeSink();
  const rx = new PlaintextTcpReceiver({ port: 0, sink, clock });
  await rx.start();
  const c = await tcpClient(rx.address().port);
  await send(c, 'a.b 1.5 1700000000\r\nc.d -2 1700000001.9\n\n  e 3e2 -1 \n');
  await sink.waitFor(3);
  assert.deepEqual(sink.points, [
    { name: 'a.b', timestamp: 1700000000, value: 1.5 },
    { name: 'c.d', timestamp: 1700000001, value: -2 },
    { name: 'e', timestamp: 1700000123, value: 300 },
  ]);
  const stats = rx.stats();
  assert.equal(stats.metricsReceived, 3);
  assert.equal(stats.errors, 0);
  assert.equal(stats.connectionsOpen, 1);
  c.destroy();
  await rx.stop();
});

test('TCP: every bad-input class is counted by reason and the connection goes on', async () => {
  const sink = new FakeSink();
  const rx = new PlaintextTcpReceiver({ port: 0, sink, clock, maxLineLength: 100 });
  await rx.start();
  const c = await tcpClient(rx.address().port);
  const bad = [
    'only.two 1\n',
    'a 1 2 3\n',
    'a nan 1\n',
    'a inf 1\n',
    'a 0x1f 1\n',
    'a  1\n', // two fields: runs of spaces are one separator
    'a 1 -5\n',
    'a 1 99999999999\n',
    'a 1 soon\n',
    'a..b 1 1\n',
    'a/b 1 1\n',
    '.a 1 1\n',
  ];
  await send(c, bad.join(''));
  await send(c, Buffer.from([0x61, 0xc3, 0x28, 0x20, 0x31, 0x20, 0x31, 0x0a])); // "a\xc3( 1 1": not UTF-8
  await send(c, `${'x'.repeat(150)} 1 1\n`);
  await send(c, 'good.1 1 1\n');
  await sink.waitFor(1);
  assert.deepEqual(sink.names(), ['good.1']);
  const s = rx.stats();
  assert.equal(s['errors.badFieldCount'], 3);
  assert.equal(s['errors.badValue'], 3);
  assert.equal(s['errors.badTimestamp'], 3);
  assert.equal(s['errors.badName'], 3);
  assert.equal(s['errors.badEncoding'], 1);
  assert.equal(s['errors.lineTooLong'], 1);
  assert.equal(s.errors, 14);
  assert.equal(s.metricsReceived, 1);
  assert.equal(s.connectionsAccepted, 1, 'the same connection carried on');
  c.destroy();
  await rx.stop();
});

test('TCP: an over-long line split across chunks is dropped whole, the next line is read', async () => {
  const sink = new FakeSink();
  const rx = new PlaintextTcpReceiver({ port: 0, sink, clock, maxLineLength: 64 });
  await rx.start();
  const c = await tcpClient(rx.address().port);
  await send(c, 'first 1 1\nlong.');
  await sink.waitFor(1);
  for (let i = 0; i < 50; i++) await send(c, 'y'.repeat(1000));
  await send(c, ' 5 5\nafter 2 2\n');
  await sink.waitFor(2);
  assert.deepEqual(sink.names(), ['first', 'after']);
  assert.equal(rx.stats()['errors.lineTooLong'], 1);
  c.destroy();
  await rx.stop();
});

test('TCP: a paused sink pauses reading, onResume resumes it', async () => {
  const sink = new FakeSink();
  sink.pauseAt = 2;
  const rx = new PlaintextTcpReceiver({ port: 0, sink, clock });
  await rx.start();
  const c = await tcpClient(rx.address().port);
  await send(c, 'p.1 1 1\np.2 2 2\n');
  await sink.waitFor(2);
  assert.equal(rx.stats().paused, 1);

  await send(c, 'p.3 3 3\n');
  // A second connection opened while paused starts paused too.
  const c2 = await tcpClient(rx.address().port);
  await send(c2, 'p.4 4 4\n');
  await loopTurns(20);
  assert.equal(sink.points.length, 2, 'read while paused');

  sink.resume();
  await sink.waitFor(4);
  assert.deepEqual(sink.names().slice(2).sort(), ['p.3', 'p.4']);
  assert.equal(rx.stats().paused, 0);
  c.destroy();
  c2.destroy();
  await rx.stop();
});

test('TCP: stop closes the listener and every connection, and is safe twice', async () => {
  const sink = new FakeSink();
  const rx = new PlaintextTcpReceiver({ port: 0, sink, clock });
  await rx.start();
  await rx.start();
  const port = rx.address().port;
  const c = await tcpClient(port);
  const closed = new Promise((resolve) => c.once('close', resolve));
  await send(c, 'x 1 1\n');
  await sink.waitFor(1);
  await Promise.all([rx.stop(), rx.stop()]);
  await rx.stop();
  await closed;
  const refused = connect(port, '127.0.0.1');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => refused.once('error', resolve));
  assert.equal(err.code, 'ECONNREFUSED');
});

function udpSend(port: number, datagrams: (string | Buffer)[]): Promise<void> {
  const s = createSocket('udp4');
  return (async () => {
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) =>
        s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    }
    s.close();
  })();
}

test('UDP: several lines per datagram, a 64 KB junk datagram, non-UTF-8 and over-long lines', async () => {
  const sink = new FakeSink();
  const rx = new PlaintextUdpReceiver({ port: 0, sink, clock, maxLineLength: 1024 });
  await rx.start();
  const port = rx.address().port;
  let seed = 7;
  const junk = Buffer.alloc(65_000);
  for (let i = 0; i < junk.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    junk[i] = seed >> 16;
  }
  const junkLines = junk.toString('latin1').split('\n').length;
  await udpSend(port, [
    'u.1 1 1\nu.2 2 2\nu.3 3 3', // the last line needs no newline
    junk,
    Buffer.from([0xff, 0xfe, 0x20, 0x31, 0x20, 0x31]),
    `${'z'.repeat(2000)} 1 1\nu.4 4 4\n`,
    'u.5 5 5\n',
  ]);
  await sink.waitFor(5);
  assert.deepEqual(sink.names(), ['u.1', 'u.2', 'u.3', 'u.4', 'u.5']);
  const s = rx.stats();
  assert.equal(s.metricsReceived, 5);
  assert.ok(s.errors >= 3 && s.errors <= junkLines + 2, `errors ${s.errors}, junk lines ${junkLines}`);
  assert.equal(s['errors.lineTooLong'] >= 1, true);
  assert.equal(s['errors.badEncoding'] >= 1, true);
  await rx.stop();
  await rx.stop();
});

test('UDP: datagrams that arrive while the sink is paused are dropped and counted', async () => {
  const sink = new FakeSink();
  sink.pauseAt = 1;
  const rx = new PlaintextUdpReceiver({ port: 0, sink, clock });
  await rx.start();
  const port = rx.address().port;
  await udpSend(port, ['first 1 1\n']);
  await sink.waitFor(1);
  await udpSend(port, ['lost 1 1\n']);
  await until(() => rx.stats()['errors.droppedWhilePaused'] === 1);
  sink.resume();
  await udpSend(port, ['kept 1 1\n']);
  await sink.waitFor(2);
  assert.deepEqual(sink.names(), ['first', 'kept']);
  assert.equal(rx.stats()['errors.droppedWhilePaused'], 1);
  await rx.stop();
});
