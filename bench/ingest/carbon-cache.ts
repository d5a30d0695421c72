import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  awaitListening,
  type BenchSystem,
  captureOutput,
  freePorts,
  runningServer,
  spawnServer,
} from './system.js';

/** Debian's carbon-cache (graphite-carbon 1.1.7), run by the Debian Python that sees its package. */
export const CARBON_CACHE_BIN = '/usr/bin/carbon-cache';
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * carbon.conf for one run. Every limit that would hold carbon back is lifted (carbon/conf.py defaults
 * MAX_UPDATES_PER_SECOND to 500 and Debian's /etc/carbon/carbon.conf MAX_CREATES_PER_MINUTE to 50, which
 * would measure the limits, not carbon); tags are off because carbon would otherwise POST every new name
 * to a graphite-web at GRAPHITE_URL (carbon/writer.py writeTags); logging of each update/create/sort is
 * off as in Debian's carbon.conf. With `deferWrites`, MAX_UPDATES_PER_SECOND = 1 leaves the points in the
 * cache (carbon/writer.py drains its token bucket once per metric written).
 */
export function carbonConf(
  dir: string,
  ports: { line: number; pickle: number; query: number },
  deferWrites: boolean,
): string {
  return `[cache]
STORAGE_DIR = ${join(dir, 'storage')}
LOCAL_DATA_DIR = ${join(dir, 'storage', 'whisper')}
WHISPER_DIR = ${join(dir, 'storage', 'whisper')}
CONF_DIR = ${join(dir, 'conf')}
LOG_DIR = ${join(dir, 'log')}
PID_DIR = ${join(dir, 'run')}
DATABASE = whisper
ENABLE_LOGROTATION = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = ${deferWrites ? 1 : 'inf'}
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${ports.line}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${ports.pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${ports.query}
USE_FLOW_CONTROL = True
ENABLE_TAGS = False
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
LOG_CACHE_QUEUE_SORTS = False
LOG_LISTENER_CONN_SUCCESS = False
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
CARBON_METRIC_INTERVAL = 1
`;
}

/**
 * carbon-cache in the foreground: `carbon-cache --config=… --nodaemon start` runs twistd in the same
 * process (carbon/util.py run_twistd_plugin), so the spawned pid is the server whose memory and CPU are
 * read. It prints no ready line; readiness is a successful connect to the line port.
 */
export const carbonCache: BenchSystem = {
  name: 'carbon-cache',
  async start({ dir, schemas, deferWrites, readyTimeoutMs }) {
    const [line, pickle, query] = await freePorts(3);
    for (const d of ['conf', 'log', 'run', 'storage/whisper']) mkdirSync(join(dir, d), { recursive: true });
    const confPath = join(dir, 'conf', 'carbon.conf');
    writeFileSync(confPath, carbonConf(dir, { line, pickle, query }, deferWrites));
    writeFileSync(join(dir, 'conf', 'storage-schemas.conf'), schemas);
    const child = spawnServer(
      DEBIAN_PYTHON,
      [CARBON_CACHE_BIN, `--config=${confPath}`, '--nodaemon', 'start'],
      dir,
      {
        ...process.env,
        PYTHONWARNINGS: 'ignore',
      },
    );
    const tail = captureOutput(child);
    await awaitListening(child, line, readyTimeoutMs, tail);
    return runningServer(child, line, join(dir, 'storage', 'whisper'), tail);
  },
};
