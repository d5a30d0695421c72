/** StatsD inside Carbonado: see docs/statsd.md. */
export { type AdminReply, type AdminState, adminCommand } from './admin.js';
export { StatsdAggregator } from './aggregate.js';
export {
  DEFAULT_STATSD_CONFIG,
  type HistogramRule,
  parseStatsdConfig,
  type StatsdConfig,
  type StatsdGraphiteConfig,
  TIMER_METRICS,
} from './config.js';
export { type EmitPoint, type FlushStatus, StatsdFlusher } from './flush.js';
export { type ParsedLine, parseLine, type StatsdSample, type StatsdType, sanitizeKeyName } from './parse.js';
export { type StatsdAddress, StatsdServer, type StatsdServerOptions } from './server.js';
