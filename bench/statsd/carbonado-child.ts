/**
 * Carbonado's StatsdServer alone in a process, for bench/statsd/run.ts: prints `ready <port>`, then
 * `received <n>` after each flush (the flush's statsd.metrics_received count).
 */
import { parseStatsdConfig } from '../../src/ingest/statsd/config.js';
import { StatsdServer } from '../../src/ingest/statsd/server.js';
import { setQuiet } from '../../src/log.js';

setQuiet(true);
const server = new StatsdServer({
  port: 0,
  adminPort: null,
  config: parseStatsdConfig({ flushInterval: 1000 }),
  sink: {
    add(name, _ts, value) {
      if (name === 'stats_counts.statsd.metrics_received') process.stdout.write(`received ${value}\n`);
    },
    paused: false,
    onResume() {},
  },
});
await server.start();
process.stdout.write(`ready ${server.address().udp}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
