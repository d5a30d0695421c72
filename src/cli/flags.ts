import { parseArgs } from 'node:util';
import { type CarbonadoConfig, defaultConfig, loadConfigFile, validateConfig } from '../config/config.js';

/** The `serve` flags: the common options of the config file, which they override. */
export const SERVE_USAGE = `usage: carbonado serve [options]

  --config FILE        Carbonado config file (INI; see docs/config.md)
  --data-dir DIR       whisper root (default ./data); an existing Graphite whisper directory works as is
  --schemas-dir DIR    directory with storage-schemas.conf and storage-aggregation.conf (e.g. /etc/carbon)
  --wal-dir DIR        write-ahead log directory (default DATA_DIR/.carbonado-wal)
  --bind ADDR          address every listener binds (default 127.0.0.1)
  --http-port N        HTTP API and dashboard (default 8080)
  --line-port N        plaintext protocol over TCP (default 2003)
  --udp-port N         plaintext protocol over UDP (default 2003)
  --pickle-port N      pickle protocol (default 2004)
  --statsd-port N      StatsD over UDP and TCP (default 8125)
  --statsd-admin-port N  StatsD admin interface (default 8126)
  --instance NAME      self-metrics go to carbon.agents.NAME.* (default a)
  --metric-interval S  seconds between self-metric reports (default 60; 0 = off)
A port of 0 turns that listener off.`;

function port(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new Error(`--${name} got '${text}'; want a port 0-65535`);
  return n;
}

/**
 * Reads `serve` flags into a config: defaults, then --config FILE, then the other flags. Port 0 turns a
 * listener off, except with `ephemeral` (tests and benchmarks), where 0 binds a free port.
 */
export function parseServeFlags(argv: string[]): { config: CarbonadoConfig; ephemeralPorts: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      'schemas-dir': { type: 'string' },
      'wal-dir': { type: 'string' },
      bind: { type: 'string' },
      'http-port': { type: 'string' },
      'line-port': { type: 'string' },
      'udp-port': { type: 'string' },
      'pickle-port': { type: 'string' },
      'statsd-port': { type: 'string' },
      'statsd-admin-port': { type: 'string' },
      instance: { type: 'string' },
      'metric-interval': { type: 'string' },
      'ephemeral-ports': { type: 'boolean' },
    },
  });
  const config = values.config ? loadConfigFile(values.config) : defaultConfig();
  if (values['data-dir'] !== undefined) config.server.dataDir = values['data-dir'];
  if (values['schemas-dir'] !== undefined) config.server.schemasDir = values['schemas-dir'];
  if (values['wal-dir'] !== undefined) config.cache.walDir = values['wal-dir'];
  if (values.bind !== undefined) config.server.bind = values.bind;
  if (values.instance !== undefined) config.server.instance = values.instance;
  if (values['http-port'] !== undefined) config.listeners.httpPort = port('http-port', values['http-port']);
  if (values['line-port'] !== undefined) config.listeners.linePort = port('line-port', values['line-port']);
  if (values['udp-port'] !== undefined) config.listeners.udpPort = port('udp-port', values['udp-port']);
  if (values['pickle-port'] !== undefined)
    config.listeners.picklePort = port('pickle-port', values['pickle-port']);
  if (values['statsd-port'] !== undefined) config.statsd.port = port('statsd-port', values['statsd-port']);
  if (values['statsd-admin-port'] !== undefined)
    config.statsd.adminPort = port('statsd-admin-port', values['statsd-admin-port']);
  if (values['metric-interval'] !== undefined) {
    const s = Number(values['metric-interval']);
    if (!Number.isFinite(s) || s < 0) throw new Error(`--metric-interval got '${values['metric-interval']}'`);
    config.carbon.metricInterval = s;
  }
  validateConfig(config);
  return { config, ephemeralPorts: values['ephemeral-ports'] === true };
}
