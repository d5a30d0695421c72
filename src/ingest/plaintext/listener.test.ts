import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeSink, type RecordedPoint } from '../../../test/support/ingest-fake-sink.js';
import { MetricCache } from '../../cache/cache.js';
import { type WalTarget, WriteAheadLog } from '../../cache/wal.js';
import { createLogger, setQuiet } from '../../log.js';
import type { PointBatch } from '../batch.js';
import { DEFAULT_POINT_LIMITS } from '../datapoint.js';
import { NameInterner } from '../intern.js';
import type { IngestSink } from '../sink.js';
import { ReceiverStats } from '../stats.js';
import { LineSplitter } from './lines.js';
import { LineIngest, PlaintextTcpReceiver, PlaintextUdpReceiver } from './listener.js';
import { type ParsedLine, parseLine } from './parse.js';

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

// ---- The raw lines each batch carries for the write-ahead log (PointBatch.rawLines, docs/wal.md) ----

const NOW_S = Math.floor(NOW_MS / 1000);

/**
 * A sink in front of a cache with its WAL that records every point and holds each batch to the rawLines
 * invariant: the lines, parsed again with `rawNow`, are exactly the batch's points, and hold no 0xFE.
 */
class CheckingSink implements IngestSink {
  readonly points: RecordedPoint[] = [];
  /** Broken invariants, kept rather than thrown: a throw inside a socket handler would hang the test. */
  readonly problems: string[] = [];
  batches = 0;
  rawBatches = 0;
  private readonly parsed: ParsedLine = { ok: true, name: '', value: 0, timestamp: 0 };

  constructor(
    private readonly cache: MetricCache,
    private readonly limits = DEFAULT_POINT_LIMITS,
  ) {}

  get paused(): boolean {
    return false;
  }
  onResume(): void {}
  add(name: string, timestamp: number, value: number): void {
    this.points.push({ name, timestamp, value });
    this.cache.add(name, timestamp, value);
  }
  addBatch(batch: PointBatch): void {
    this.batches++;
    const mine: RecordedPoint[] = [];
    for (let i = 0; i < batch.length; i++)
      mine.push({ name: batch.names[i], timestamp: batch.timestamps[i], value: batch.values[i] });
    if (batch.rawLines.length > 0) {
      this.rawBatches++;
      const again: RecordedPoint[] = [];
      const options = { ...this.limits, now: batch.rawNow };
      for (const span of batch.rawLines) {
        if (span.includes(0xfe)) this.problems.push(`0xFE in raw lines ${JSON.stringify(span.toString())}`);
        let from = 0;
        while (from < span.length) {
          let nl = span.indexOf(0x0a, from);
          if (nl === -1) nl = span.length;
          const r = parseLine(span, from, nl, options, this.parsed);
          if (r?.ok) again.push({ name: r.name, timestamp: r.timestamp, value: r.value });
          else if (r !== null) this.problems.push(`a raw line refused: ${r.error}`);
          from = nl + 1;
        }
      }
      if (JSON.stringify(again) !== JSON.stringify(mine))
        this.problems.push(
          `raw lines give ${JSON.stringify(again)}; the batch holds ${JSON.stringify(mine)}`,
        );
    }
    this.points.push(...mine);
    this.cache.addBatch(batch);
  }
}

class Recorder implements WalTarget {
  readonly points: RecordedPoint[] = [];
  restore(name: string, timestamp: number, value: number): void {
    this.points.push({ name, timestamp, value });
  }
  oldestSegment(): number {
    return 0;
  }
}

/** A deterministic load: good lines of many shapes with bad ones interleaved; how many are good. */
function mixedLoad(n: number): { bytes: Buffer; good: number } {
  const parts: Buffer[] = [];
  let good = 0;
  for (let i = 0; i < n; i++) {
    switch (i % 11) {
      case 0:
        parts.push(Buffer.from(`plain.m${i % 7} ${i} ${1700000000 + i}\n`));
        break;
      case 1:
        parts.push(Buffer.from(`crlf.m${i % 5} ${i / 4} ${1700000000 + i}\r\n`));
        break;
      case 2:
        parts.push(Buffer.from(`tagged.m;y=${i % 3};x=1 ${i} -1\n`));
        break;
      case 3: // a refused line holding 0xFE and 0xFF: not UTF-8
        parts.push(Buffer.concat([Buffer.from('bad.'), Buffer.from([0xfe, 0xff]), Buffer.from(` 1 ${i}\n`)]));
        good--;
        break;
      case 4:
        parts.push(Buffer.from(`\n  spaced.m${i % 2}   ${-i}   ${1700000000 + i}  \n`));
        break;
      case 5:
        parts.push(Buffer.from(`fields.only ${i}\n`)); // two fields: refused
        good--;
        break;
      case 6:
        parts.push(Buffer.from(`${'long.'.repeat(30)}x 1 ${i}\n`)); // over maxLineLength 100: dropped
        good--;
        break;
      case 7:
        parts.push(Buffer.from(`utf8.héllo.${i % 4} 1e3 -1.5\n`));
        break;
      case 8:
        parts.push(Buffer.from(`nan.value nan ${i}\n`)); // refused
        good--;
        break;
      default:
        parts.push(Buffer.from(`plain.m${i % 7} ${i}.5 ${1700000000 + i}\n`));
    }
    good++;
  }
  return { bytes: Buffer.concat(parts), good };
}

/** Cuts `bytes` into chunks of `min` to `max` bytes, from a fixed seed. */
function chunked(bytes: Buffer, min: number, max: number): Buffer[] {
  let seed = 17;
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const n = min + (seed % (max - min + 1));
    // Copies, as each socket read is a buffer of its own.
    out.push(Buffer.from(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

async function replay(dir: string): Promise<RecordedPoint[]> {
  const target = new Recorder();
  const wal = new WriteAheadLog({ dir, fsync: false });
  const report = await wal.open(target);
  assert.equal(report.corruptBlocks, 0);
  assert.equal(report.refusedLines, 0);
  await wal.close();
  return target.points;
}

/** A WAL in `dir` (flushed only when asked), a cache logging to it, and a CheckingSink in front. */
async function walSink(dir: string): Promise<{ wal: WriteAheadLog; sink: CheckingSink }> {
  const wal = new WriteAheadLog({ dir, fsync: false, flushInterval: 3_600_000 });
  const cache = new MetricCache({ log: wal });
  await wal.open(cache);
  return { wal, sink: new CheckingSink(cache) };
}

for (const [what, min, max] of [
  ['1-7 byte chunks (lines through the splitter buffer)', 1, 7],
  ['20-300 byte chunks', 20, 300],
  ['one chunk', 1 << 20, 1 << 20],
] as const) {
  test(`LineIngest with a WAL, ${what}: replay gives back exactly the accepted points, in order`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carbonado-line-wal-'));
    try {
      const { wal, sink } = await walSink(dir);
      const stats = new ReceiverStats();
      const options = { ...DEFAULT_POINT_LIMITS, now: 0, maxLineLength: 100 };
      const ingest = new LineIngest(sink, stats, createLogger('test'), options, new NameInterner());
      const splitter = new LineSplitter(100);
      const { bytes, good } = mixedLoad(500);
      const chunks = chunked(bytes, min, max);
      for (let i = 0; i < chunks.length; i++) {
        // A clock that moves between reads: each -1 must replay as the now of its own read.
        options.now = NOW_S + i;
        ingest.begin(chunks[i]);
        splitter.push(chunks[i], ingest);
        ingest.flush();
      }
      assert.deepEqual(sink.problems, []);
      assert.equal(sink.points.length, good);
      assert.equal(stats.metricsReceived, good);
      assert.ok(sink.rawBatches > 0 && sink.rawBatches === sink.batches, 'every batch carried its lines');
      assert.deepEqual(sink.points.slice(0, 3), [
        { name: 'plain.m0', timestamp: 1700000000, value: 0 },
        { name: 'crlf.m1', timestamp: 1700000001, value: 0.25 },
        { name: 'tagged.m;x=1;y=2', timestamp: sink.points[2].timestamp, value: 2 },
      ]);
      assert.ok(sink.points[2].timestamp >= NOW_S);
      await wal.flush();
      assert.equal(wal.stats()['wal.writtenPoints'], good);
      assert.deepEqual(await replay(dir), sink.points);
      await wal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('TCP and UDP receivers in front of a WAL: replay gives back what they accepted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'carbonado-line-wal-'));
  try {
    const { wal, sink } = await walSink(dir);
    const tcp = new PlaintextTcpReceiver({ port: 0, sink, clock, maxLineLength: 100 });
    const udp = new PlaintextUdpReceiver({ port: 0, sink, clock, maxLineLength: 100 });
    await tcp.start();
    await udp.start();
    const { bytes, good } = mixedLoad(300);
    const c = await tcpClient(tcp.address().port);
    for (const chunk of chunked(bytes, 1, 400)) await send(c, chunk);
    await until(() => sink.points.length >= good || sink.problems.length > 0);
    assert.deepEqual(sink.problems, []);
    assert.equal(sink.points.length, good);
    const u = createSocket('udp4');
    // The last line of a datagram needs no newline.
    await new Promise<void>((resolve, reject) =>
      u.send('udp.a 1 -1\nbad line\nudp.b 2 1700000000', udp.address().port, '127.0.0.1', (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    await until(() => sink.points.length >= good + 2 || sink.problems.length > 0);
    u.close();
    assert.deepEqual(sink.problems, []);
    assert.deepEqual(sink.points.slice(-2), [
      { name: 'udp.a', timestamp: NOW_S, value: 1 },
      { name: 'udp.b', timestamp: 1700000000, value: 2 },
    ]);
    assert.ok(sink.rawBatches > 0 && sink.rawBatches === sink.batches);
    await wal.flush();
    assert.deepEqual(await replay(dir), sink.points);
    c.destroy();
    await tcp.stop();
    await udp.stop();
    await wal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LineIngest drops the raw lines of a batch holding points they do not cover', () => {
  const seen: { points: number; rawLines: number }[] = [];
  const sink: IngestSink = {
    add() {},
    addBatch(batch) {
      seen.push({ points: batch.length, rawLines: batch.rawLines.length });
    },
    paused: false,
    onResume() {},
  };
  const options = { ...DEFAULT_POINT_LIMITS, now: NOW_S, maxLineLength: 100 };
  const ingest = new LineIngest(sink, new ReceiverStats(), createLogger('test'), options, new NameInterner());
  const splitter = new LineSplitter(100);
  const read = (text: string, extra?: () => void) => {
    const chunk = Buffer.from(text);
    ingest.begin(chunk);
    splitter.push(chunk, ingest);
    extra?.();
    ingest.flush();
  };
  read('a 1 1\nb 2 2\n');
  // A point that came by another path than line(): the lines no longer tell the whole batch.
  read('c 3 3\n', () => (ingest as unknown as { batch: PointBatch }).batch.push('other', 1, 1));
  read('d 4 4\n');
  assert.deepEqual(seen, [
    { points: 2, rawLines: 1 },
    { points: 2, rawLines: 0 },
    { points: 1, rawLines: 1 },
  ]);
});
