/**
 * The admin interface (TCP, Etsy's port 8126): the commands of Etsy's statsd 0.9.0 with the same
 * replies (stats.js mgmt_server callback, lib/mgmt_console.js, lib/helpers.js writeConfig).
 * One difference: Etsy runs whatever one TCP read holds as one command, so two commands in one
 * segment fail; here each line is a command.
 */
import { inspect } from 'node:util';
import type { StatsdAggregator } from './aggregate.js';
import type { FlushStatus } from './flush.js';

/** What the commands read and change. */
export interface AdminState {
  readonly agg: StatsdAggregator;
  readonly status: FlushStatus;
  health: 'up' | 'down';
  /** Seconds since the epoch: start time and the last packet (Etsy's last_msg_seen). */
  readonly startTime: number;
  readonly lastMessageSeen: number;
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The reply to one command line, and whether to close the connection after it. */
export interface AdminReply {
  reply: string;
  close: boolean;
}

const HELP =
  'Commands: stats, counters, timers, gauges, delcounters, deltimers, delgauges, health, config, quit\n\n';

/** Runs one admin command line (without its newline) against `state`. */
export function adminCommand(line: string, state: AdminState): AdminReply {
  const [cmd, ...params] = line.trim().split(' ');
  const agg = state.agg;
  const ok = (reply: string): AdminReply => ({ reply, close: false });
  switch (cmd) {
    case 'help':
      return ok(HELP);
    case 'config':
      return ok(writeConfig(agg.config as unknown as Record<string, unknown>));
    case 'health': {
      const action = params[0]?.toLowerCase();
      if (action === 'up' || action === 'down') state.health = action;
      return ok(`health: ${state.health}\n`);
    }
    case 'stats': {
      const now = Math.round(state.now() / 1000);
      // stats.js's stat_writer: values of metrics named last_* are shown as seconds ago.
      const line = (group: string, metric: string, v: number) =>
        `${group}.${metric}: ${metric.startsWith('last_') ? now - v : v}\n`;
      let out = `uptime: ${now - state.startTime}\n`;
      out += line('messages', 'last_msg_seen', state.lastMessageSeen);
      out += line('messages', 'bad_lines_seen', agg.badLinesTotal);
      for (const [k, v] of Object.entries(state.status)) out += line('graphite', k, v);
      return ok(`${out}END\n\n`);
    }
    case 'counters':
      return ok(`${inspect(countersObject(agg))}\nEND\n\n`);
    case 'timers':
      return ok(`${inspect(Object.fromEntries([...agg.timers].map(([k, t]) => [k, t.values])))}\nEND\n\n`);
    case 'gauges':
      return ok(`${inspect(Object.fromEntries(agg.gauges))}\nEND\n\n`);
    case 'delcounters':
      return ok(deleteStats(Object.keys(countersObject(agg)), params, (k) => deleteCounter(agg, k)));
    case 'deltimers':
      return ok(deleteStats([...agg.timers.keys()], params, (k) => agg.timers.delete(k)));
    case 'delgauges':
      return ok(
        deleteStats([...agg.gauges.keys()], params, (k) => {
          agg.gauges.delete(k);
          agg.gaugesTTL.delete(k);
        }),
      );
    case 'quit':
      return { reply: '', close: true };
    default:
      return ok('ERROR\n');
  }
}

/** The counters as stats.js holds them: its own three first, then the rest in arrival order. */
function countersObject(agg: StatsdAggregator): Record<string, number> {
  const p = agg.config.prefixStats;
  const own = agg.internal;
  return Object.fromEntries([
    [`${p}.bad_lines_seen`, own.bad_lines_seen],
    [`${p}.packets_received`, own.packets_received],
    [`${p}.metrics_received`, own.metrics_received],
    ...[...agg.counters].map(([k, c]) => [k, c.value] as const),
  ]);
}

function deleteCounter(agg: StatsdAggregator, key: string): void {
  // Etsy deletes its own counters too, and then counts into undefined (NaN) forever; here they restart at 0.
  const own = key.slice(agg.config.prefixStats.length + 1);
  if (key.startsWith(`${agg.config.prefixStats}.`) && own in agg.internal) {
    agg.internal[own as keyof typeof agg.internal] = 0;
  }
  agg.counters.delete(key);
}

/**
 * mgmt_console.js delete_stats: each parameter is a full name, or `folder.*` for every name that starts
 * with `folder.`; one line per deletion, "metric X not found" when nothing matched, then END.
 */
export function deleteStats(names: string[], params: string[], remove: (name: string) => void): string {
  let out = '';
  for (const bucket of params) {
    const matches: string[] = [];
    if (names.includes(bucket)) matches.push(bucket);
    if (bucket.endsWith('.*')) {
      const folder = bucket.slice(0, -1);
      for (const n of names) if (n.startsWith(folder)) matches.push(n);
    }
    if (matches.length === 0) out += `metric ${bucket} not found\n`;
    for (const m of matches) {
      remove(m);
      out += `deleted: ${m}\n`;
    }
  }
  return `${out}END\n\n`;
}

/** helpers.js writeConfig: `key: value`, and `key > sub: value` one level down. */
export function writeConfig(config: Record<string, unknown>): string {
  let out = '\n';
  for (const [k, v] of Object.entries(config)) {
    if (typeof v !== 'object' || v === null) {
      out += `${k}: ${v}\n`;
      continue;
    }
    for (const [sub, sv] of Object.entries(v)) out += `${k} > ${sub}: ${sv}\n`;
  }
  return out;
}
