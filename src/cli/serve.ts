import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { MetricCache } from '../cache/cache.js';
import { WriteAheadLog } from '../cache/wal.js';
import { CacheWriter } from '../cache/writer.js';
import type { CarbonadoConfig } from '../config/config.js';
import { loadSchemas } from '../config/schemas.js';
import { EventStore } from '../events/store.js';
import { createHttpServer } from '../http/server.js';
import { DEFAULT_POINT_LIMITS, type PointLimits } from '../ingest/datapoint.js';
import { PickleReceiver } from '../ingest/pickle/listener.js';
import { PlaintextTcpReceiver, PlaintextUdpReceiver } from '../ingest/plaintext/listener.js';
import { parseStatsdConfig } from '../ingest/statsd/config.js';
import { StatsdServer } from '../ingest/statsd/server.js';
import { SelfMetrics } from '../instrumentation/selfmetrics.js';
import type { Service } from '../lifecycle.js';
import { createLogger } from '../log.js';
import { WhisperStore } from '../storage/whisper/store.js';
import { taggingSink } from '../tags/sink.js';
import { TagDB } from '../tags/tagdb.js';
import { warmUp } from './warmup.js';

const log = createLogger('serve');

/** A running server: the bound ports (0 when off) and a stop that drains the cache to disk. */
export interface Server {
  ports: { line: number; udp: number; pickle: number; http: number; statsd: number; statsdAdmin: number };
  stop(): Promise<void>;
}

/**
 * Composes `carbonado serve` from the config, in the order the data path needs: the store and the
 * cache first, the write-ahead log replayed into the cache before any listener opens, then the writer,
 * the HTTP API and the receivers. Stop runs the other way: receivers close first so nothing arrives
 * while the writer drains the cache to disk.
 */
export async function startServer(
  config: CarbonadoConfig,
  opts: { ephemeralPorts?: boolean } = {},
): Promise<Server> {
  const { server, listeners, cache: cacheConf } = config;
  const dataDir = resolve(server.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const schemas = loadSchemas(server.schemasDir || undefined);
  const store = new WhisperStore({
    root: dataDir,
    schemaFor: (m) => schemas.schemaFor(m),
    sparse: config.storage.sparseCreate,
    writeThread: true,
    writeThreads: config.storage.writeThreads || undefined,
  });

  // The plaintext receivers' limits. The WAL logs their lines as received and parses them again at
  // replay, so it must read them under the very same limits (docs/wal.md, "Raw record").
  const lineLimits: PointLimits = { ...DEFAULT_POINT_LIMITS };
  const wal =
    cacheConf.walFlushInterval > 0
      ? new WriteAheadLog({
          dir: resolve(cacheConf.walDir || join(dataDir, '.carbonado-wal')),
          flushInterval: cacheConf.walFlushInterval,
          fsync: cacheConf.walFsync,
          limits: lineLimits,
        })
      : undefined;
  const cache = new MetricCache({
    maxSize: cacheConf.maxCacheSize,
    lowWatermark: cacheConf.lowWatermark,
    log: wal,
  });
  if (wal) {
    // The writer's start() would open (replay) it too; opening it here first lets serve report it.
    const replay = await wal.open(cache);
    if (replay.points > 0 || replay.corruptBlocks > 0) {
      log.info(
        `write-ahead log replayed: ${replay.points} points from ${replay.segments} segments` +
          ` (${replay.corruptBlocks} corrupt blocks, ${replay.tornTails} torn tails skipped)`,
      );
    }
  }
  // Tagged series' files are named by hash, so their names live in a journal of their own; events too.
  const tagdb = TagDB.open(join(dataDir, '.carbonado-tags', 'journal'));
  const events = EventStore.open(join(dataDir, '.carbonado-events', 'events.jsonl'));
  // Receivers hand points to the cache through the tag index, which learns each new tagged name.
  const sink = taggingSink(cache, tagdb);
  const writer = new CacheWriter({
    cache,
    store,
    wal,
    strategy: cacheConf.writeStrategy,
    maxUpdatesPerSecond: cacheConf.maxUpdatesPerSecond,
    maxCreatesPerMinute: cacheConf.maxCreatesPerMinute,
  });
  await writer.start();
  if (config.ingest.warmupPoints > 0) {
    const warm = await warmUp({
      points: config.ingest.warmupPoints,
      limits: lineLimits,
      maxLineLength: config.ingest.maxLineLength,
      store,
    });
    log.info(
      `warmed up in ${warm.ms.toFixed(0)} ms: ${warm.points} scratch points received, ` +
        `${warm.writesPerThread} scratch writes per write thread`,
    );
    for (const f of warm.failures) log.warn(`warm-up: ${f}; starting anyway`);
  }

  // A port of 0 turns a listener off, as the issue asks; with ephemeralPorts (tests, benchmarks) every
  // listener binds a free port instead.
  const enabled = (p: number) => opts.ephemeralPorts || p > 0;
  const bindPort = (p: number) => (opts.ephemeralPorts ? 0 : p);
  const host = server.bind;
  const started: Service[] = [];
  const ports = { line: 0, udp: 0, pickle: 0, http: 0, statsd: 0, statsdAdmin: 0 };

  try {
    if (enabled(listeners.httpPort)) {
      const http = createHttpServer({
        host,
        port: bindPort(listeners.httpPort),
        store,
        cache,
        tagdb,
        events,
        limits: {
          maxTargets: config.http.maxTargets,
          maxSeries: config.http.maxSeries,
          maxDataPoints: config.http.maxDataPoints,
        },
        // A metric only in the cache has no file yet: its step is the one its file will get.
        cacheOnlyStep: (m) => schemas.schemaFor(m).archives[0].secondsPerPoint,
      });
      await http.start();
      started.push(http);
      ports.http = http.address().port;
    }
    const receivers: Array<[keyof typeof ports, number, () => Service & { address(): AddressInfo }]> = [
      [
        'line',
        listeners.linePort,
        () =>
          new PlaintextTcpReceiver({
            host,
            port: bindPort(listeners.linePort),
            sink,
            maxLineLength: config.ingest.maxLineLength,
            limits: lineLimits,
          }),
      ],
      [
        'udp',
        listeners.udpPort,
        () =>
          new PlaintextUdpReceiver({
            host,
            port: bindPort(listeners.udpPort),
            sink,
            maxLineLength: config.ingest.maxLineLength,
            limits: lineLimits,
          }),
      ],
      [
        'pickle',
        listeners.picklePort,
        () =>
          new PickleReceiver({
            host,
            port: bindPort(listeners.picklePort),
            sink,
            maxFrameLength: config.ingest.maxPickleFrame,
          }),
      ],
    ];
    for (const [key, port, make] of receivers) {
      if (!enabled(port)) continue;
      const r = make();
      await r.start();
      started.push(r);
      ports[key] = r.address().port;
    }
    if (enabled(config.statsd.port)) {
      // StatsD flushes straight into the cache: no TCP hop to a carbon port as Etsy's daemon needs.
      const statsd = new StatsdServer({
        host,
        port: bindPort(config.statsd.port),
        adminPort: enabled(config.statsd.adminPort) ? bindPort(config.statsd.adminPort) : null,
        sink,
        config: parseStatsdConfig(config.statsd.options),
      });
      await statsd.start();
      started.push(statsd);
      const bound = statsd.address();
      ports.statsd = bound.udp;
      ports.statsdAdmin = bound.admin ?? 0;
    }
  } catch (e) {
    for (const s of started.reverse()) await s.stop();
    await writer.stop();
    await store.close();
    throw e;
  }

  const selfMetrics = new SelfMetrics({
    prefix: config.carbon.metricPrefix,
    instance: server.instance,
    intervalSeconds: config.carbon.metricInterval,
    sink: cache,
    sources: [...started, writer],
  });
  selfMetrics.start();

  let stopping: Promise<void> | undefined;
  return {
    ports,
    stop: () => {
      stopping ??= (async () => {
        selfMetrics.stop();
        for (const s of [...started].reverse()) await s.stop();
        // The writer's stop drains the whole cache to disk and closes the write-ahead log.
        await writer.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}
