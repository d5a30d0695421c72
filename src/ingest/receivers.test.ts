// The contract every receiver keeps (STYLE.md 8: one suite, each implementation runs it).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { FakeSink } from '../../test/support/ingest-fake-sink.js';
import type { Service } from '../lifecycle.js';
import { PickleReceiver } from './pickle/listener.js';
import { PlaintextTcpReceiver, PlaintextUdpReceiver } from './plaintext/listener.js';
import { DROP_REASONS } from './stats.js';

type Receiver = Service & { address(): AddressInfo };

const RECEIVERS: [string, (sink: FakeSink, port?: number) => Receiver][] = [
  ['plaintext-tcp', (sink, port = 0) => new PlaintextTcpReceiver({ port, sink })],
  ['plaintext-udp', (sink, port = 0) => new PlaintextUdpReceiver({ port, sink })],
  ['pickle', (sink, port = 0) => new PickleReceiver({ port, sink })],
];

const STAT_NAMES = [
  'metricsReceived',
  'errors',
  'connectionsOpen',
  'connectionsAccepted',
  'paused',
  ...DROP_REASONS.map((r) => `errors.${r}`),
].sort();

for (const [name, make] of RECEIVERS) {
  test(`${name}: start on port 0, the same stats names, stop safe twice, restart`, async () => {
    const rx = make(new FakeSink());
    assert.equal(rx.name, name);
    assert.throws(() => rx.address(), /BUG: address\(\) before start\(\)/);
    await rx.start();
    await rx.start();
    const port = rx.address().port;
    assert.ok(port > 0);
    assert.equal(rx.address().address, '127.0.0.1');
    const stats = rx.stats();
    assert.deepEqual(Object.keys(stats).sort(), STAT_NAMES);
    assert.ok(Object.values(stats).every((v) => v === 0));
    await Promise.all([rx.stop(), rx.stop()]);
    await rx.stop();
    await rx.start();
    assert.ok(rx.address().port > 0);
    await rx.stop();
  });

  test(`${name}: a port in use is an error from start()`, async () => {
    const first = make(new FakeSink());
    await first.start();
    const second = make(new FakeSink(), first.address().port);
    await assert.rejects(second.start(), /EADDRINUSE/);
    await second.stop();
    await first.stop();
  });
}
