/**
 * Carbonado's side of bench/render, run as its own process so the load generator does not share its
 * event loop: the HTTP API over the whisper tree in argv[2], on 127.0.0.1 and a port the kernel
 * picks, printed as `listening <port>` once ready. Limits are raised so the benchmark measures
 * work, not refusals.
 */
import { createHttpServer } from '../../src/http/server.js';
import { setQuiet } from '../../src/log.js';
import { WhisperStore } from '../../src/storage/whisper/store.js';

setQuiet(true);
const root = process.argv[2];
if (!root) throw new Error('usage: serve.ts <whisper root>');
const store = new WhisperStore({
  root,
  schemaFor: () => {
    throw new Error('bench/render never writes');
  },
});
const server = createHttpServer({
  host: '127.0.0.1',
  port: 0,
  store,
  cache: { peek: () => undefined, names: () => [] },
  limits: { maxSeries: 1_000_000, maxDataPoints: 1_000_000_000, maxRequestTime: 600_000 },
});
await server.start();
process.stdout.write(`listening ${server.address().port}\n`);
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
