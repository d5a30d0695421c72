/**
 * The optional flush to a remote carbon (graphiteHost / graphitePort): a plaintext TCP server on
 * 127.0.0.1 in the test plays carbon; it gets exactly the points the local sink gets, keeps getting
 * them across its own restart and a dropped connection, and a remote that is down costs the local
 * flush nothing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { IngestSink } from '../src/ingest/sink.js';
import { parseStatsdConfig } from '../src/ingest/statsd/config.js';
import { GraphiteBackend } from '../src/ingest/statsd/graphite-backend.js';
import { StatsdServer } from '../src/ingest/statsd/server.js';
import { setQuiet } from '../src/log.js';

setQuiet(true);

const NOW = 1_700_000_003_400; // a flush at Math.round(NOW / 1000) = 1700000003
const TS = 1_700_000_003;

/** A carbon plaintext receiver: every line it got, in order, and its open connections. */
class FakeCarbon {
  readonly lines: string[] = [];
  readonly sockets = new Set<Socket>();
  connections = 0;
  private server: Server | null = null;
  private partial = '';

  async listen(port = 0): Promise<number> {
    const server = createServer((s) => {
      this.connections++;
      this.sockets.add(s);
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        const text = this.partial + d;
        const nl = text.lastIndexOf('\n');
        this.partial = text.slice(nl + 1);
        if (nl !== -1) this.lines.push(...text.slice(0, nl).split('\n'));
      });
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const a = server.address();
    if (a === null || typeof a !== 'object') throw new Error('BUG: no address');
    return a.port;
  }

  /** Closes the listener and drops every connection, as a carbon that goes away. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function recorder() {
  const lines: string[] = [];
  const sink: IngestSink = {
    add: (name, ts, value) => void lines.push(`${name} ${value} ${ts}`),
    paused: false,
    onResume() {},
  };
  return { sink, lines };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function statsd(port: number, sink: IngestSink): StatsdServer {
  return new StatsdServer({
    port: 0,
    adminPort: null,
    sink,
    now: () => NOW,
    graphiteRetryMs: { min: 5, max: 20 },
    config: parseStatsdConfig({ graphiteHost: '127.0.0.1', graphitePort: port, percentThreshold: [90] }),
  });
}

describe('statsd flush to a remote carbon (graphiteHost)', () => {
  it('sends the remote exactly the lines the local store gets, in plaintext', async () => {
    const carbon = new FakeCarbon();
    const port = await carbon.listen();
    const local = recorder();
    const server = statsd(port, local.sink);
    await server.start();
    try {
      server.ingest('api.hits:3|c\napi.hits:2|c|@0.5\napi.time:5|ms\napi.time:15|ms\nusers:7|g');
      const n = server.flushNow();
      assert.equal(local.lines.length, n);
      await until(() => carbon.lines.length === n, `${n} lines at the remote`);
      assert.deepEqual(carbon.lines, local.lines);
      // 3 + 2/0.5 = 7 counted in a 10 s flushInterval.
      assert.ok(carbon.lines.includes(`stats_counts.api.hits 7 ${TS}`));
      assert.ok(carbon.lines.includes(`stats.api.hits 0.7 ${TS}`));
      assert.ok(carbon.lines.includes(`stats.timers.api.time.mean 10 ${TS}`));
      assert.ok(carbon.lines.includes(`stats.timers.api.time.sum_squares 250 ${TS}`));
      assert.ok(carbon.lines.includes(`stats.gauges.users 7 ${TS}`));
      assert.ok(carbon.lines.includes(`stats_counts.statsd.metrics_received 5 ${TS}`));
      assert.equal(server.stats().graphitePayloadsSent, 1);
    } finally {
      await server.stop();
      await carbon.close();
    }
  });

  it('keeps flushing locally while the remote is down, and delivers the waiting flush once it is up', async () => {
    // A port with nobody on it: listen, note the number, close.
    const probe = new FakeCarbon();
    const port = await probe.listen();
    await probe.close();

    const local = recorder();
    const server = statsd(port, local.sink);
    await server.start();
    const carbon = new FakeCarbon();
    try {
      server.ingest('down.count:4|c');
      const n = server.flushNow();
      assert.ok(n > 0);
      assert.ok(local.lines.includes(`stats_counts.down.count 4 ${TS}`), 'the local flush happened');
      await until(() => server.stats().graphiteConnectionErrors >= 1, 'a failed connect');
      assert.ok(server.stats().graphiteBytesPending > 0);

      await carbon.listen(port);
      await until(() => carbon.lines.length === n, `${n} lines after the remote came up`);
      assert.deepEqual(carbon.lines, local.lines);
      assert.equal(server.stats().graphiteBytesPending, 0);
      assert.equal(server.stats().graphiteBytesDropped, 0);

      // The remote drops the connection: the next flush goes over a new one.
      const errors = server.stats().graphiteConnectionErrors;
      for (const s of carbon.sockets) s.destroy();
      await until(() => server.stats().graphiteConnectionErrors > errors, 'the dropped connection noticed');
      server.ingest('after.drop:9|c');
      const m = server.flushNow();
      await until(() => carbon.lines.length === n + m, `${m} more lines on a new connection`);
      assert.equal(carbon.connections, 2);
      assert.deepEqual(carbon.lines, local.lines);
      assert.ok(carbon.lines.includes(`stats_counts.after.drop 9 ${TS}`));
    } finally {
      await server.stop();
      await carbon.close();
    }
  });

  it('sends the last flush on stop before closing the connection', async () => {
    const carbon = new FakeCarbon();
    const port = await carbon.listen();
    const local = recorder();
    const server = statsd(port, local.sink);
    await server.start();
    await until(() => carbon.connections === 1, 'the connection');
    server.ingest('last.words:1|c');
    await server.stop();
    await until(() => carbon.sockets.size === 0, 'the remote connection closed');
    assert.ok(carbon.lines.includes(`stats_counts.last.words 1 ${TS}`));
    assert.deepEqual(carbon.lines, local.lines);
    await carbon.close();
  });

  it('drops the oldest flushes, and counts them, when more than maxPending waits for the remote', async () => {
    const probe = new FakeCarbon();
    const port = await probe.listen();
    await probe.close();
    const backend = new GraphiteBackend({
      host: '127.0.0.1',
      port,
      maxPending: 40,
      retryMinMs: 5,
      retryMaxMs: 20,
    });
    backend.start();
    const carbon = new FakeCarbon();
    try {
      backend.send('a.one 1 100\na.two 2 100\n'); // 24 bytes
      backend.send('b.one 1 110\n'); // 12: 36 wait
      backend.send('c.one 1 120\n'); // 12: 48 > 40, the oldest flush goes
      assert.deepEqual([backend.stats().bytesPending, backend.stats().bytesDropped], [24, 24]);
      await carbon.listen(port);
      await until(() => carbon.lines.length === 2, 'the two flushes that were kept');
      assert.deepEqual(carbon.lines, ['b.one 1 110', 'c.one 1 120']);
      assert.equal(backend.stats().bytesSent, 24);
    } finally {
      await backend.stop();
      await backend.stop();
      await carbon.close();
    }
  });
});
