/**
 * The StatsD aggregation state between two flushes, fed packet by packet as Etsy's stats.js
 * handlePacket feeds it: counters, timers, gauges, sets, and statsd's own counters.
 */
import { quote } from '../names.js';
import type { StatsdConfig } from './config.js';
import { type KeyResult, parseKey, parseSampleAt, type StatsdSample } from './parse.js';

/** A timer's samples since the last flush. */
export interface TimerState {
  values: number[];
  /** Sum of 1/sampleRate: what `count` reports. */
  sampledCount: number;
}

/** statsd's own counters, counted like any counter (stats.js: bad_lines_seen, packets_received …). */
export interface InternalCounters {
  bad_lines_seen: number;
  packets_received: number;
  metrics_received: number;
}

const KEY_CACHE_LIMIT = 100_000;

/**
 * Everything received since the last flush. Maps keep insertion order, so flushes list keys in the
 * order they were first seen, as Etsy's plain objects do.
 */
export class StatsdAggregator {
  /** Boxed, so adding to a counter is one map lookup. */
  readonly counters = new Map<string, { value: number }>();
  readonly timers = new Map<string, TimerState>();
  readonly gauges = new Map<string, number>();
  /** Flushes left before an idle gauge is deleted (deleteGauges only). */
  readonly gaugesTTL = new Map<string, number>();
  readonly sets = new Map<string, Set<string>>();
  readonly internal: InternalCounters = { bad_lines_seen: 0, packets_received: 0, metrics_received: 0 };
  /** Bad lines since start, never reset (the admin interface's messages.bad_lines_seen). */
  badLinesTotal = 0;
  /** Lines accepted with at least one good sample since start. */
  samplesTotal = 0;
  /** The last error seen, for a rate-limited log line. */
  lastError = '';
  /** Keys already parsed: most traffic repeats keys, and parseKey validates the whole name. */
  private readonly keyCache = new Map<string, KeyResult>();
  /** The sample being read: one object reused for every sample, so reading one allocates nothing. */
  private readonly sample: StatsdSample = { type: 'c', value: 0, member: '', delta: false, sampleRate: 1 };
  /** Where the next `|#` of the current packet is (-1: none left), so each line need not look again. */
  private nextHash = -1;

  constructor(readonly config: StatsdConfig) {}

  /** One UDP datagram or a run of complete TCP lines. */
  ingestPacket(packet: string): void {
    this.internal.packets_received++;
    this.nextHash = packet.indexOf('|#');
    let start = 0;
    for (;;) {
      const nl = packet.indexOf('\n', start);
      const end = nl === -1 ? packet.length : nl;
      if (end > start) this.ingestLine(packet, start, end);
      if (nl === -1) return;
      start = nl + 1;
    }
  }

  /**
   * One non-empty line, `packet.slice(start, end)`; the hot path, so it slices as little as it can.
   * Only ingestPacket calls it: it relies on nextHash having been set for this packet.
   */
  private ingestLine(packet: string, start: number, end: number): void {
    this.internal.metrics_received++;
    if (packet.charCodeAt(end - 1) === 0x0d) end--;
    // Searching for `|#` from each line would scan the rest of the packet once per line.
    if (this.nextHash !== -1 && this.nextHash < start) this.nextHash = packet.indexOf('|#', start);
    let hash = this.nextHash;
    if (hash >= end) hash = -1;
    const headEnd = hash === -1 ? end : hash;
    let colon = packet.indexOf(':', start);
    if (colon >= headEnd) colon = -1;
    if (colon === -1) {
      this.bad(`got ${quote(packet.slice(start, end))} at offset 0; want key:value|type`);
      return;
    }
    const rawKey = packet.slice(start, colon);
    const tagText = hash === -1 ? '' : packet.slice(hash + 2, end);
    const cacheKey = hash === -1 ? rawKey : `${rawKey}|#${tagText}`;
    let k = this.keyCache.get(cacheKey);
    if (k === undefined) {
      k = parseKey(rawKey, tagText, this.config.keyNameSanitize);
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(cacheKey, k);
    }
    if (!k.ok) {
      this.bad(`${k.error} in ${quote(packet.slice(start, end))}`);
      return;
    }
    const key = k.key;
    let groupStart = colon + 1;
    let good = false;
    for (;;) {
      let groupEnd = packet.indexOf(':', groupStart);
      if (groupEnd === -1 || groupEnd > headEnd) groupEnd = headEnd;
      const s = this.sample;
      const error = parseSampleAt(packet, groupStart, groupEnd, groupStart - start, '', s);
      // Errors are rare: only then cut the line out of the packet, to quote it.
      if (error !== null) {
        this.bad(
          parseSampleAt(packet, groupStart, groupEnd, groupStart - start, packet.slice(start, end), s) ??
            error,
        );
      } else {
        good = true;
        switch (s.type) {
          case 'c': {
            // stats.js: counters[key] += Number(value) * (1 / sampleRate) — the same operations.
            const c = this.counters.get(key);
            if (c === undefined) this.counters.set(key, { value: 0 + s.value * (1 / s.sampleRate) });
            else c.value += s.value * (1 / s.sampleRate);
            break;
          }
          case 'ms':
          case 'h': {
            let t = this.timers.get(key);
            if (t === undefined) {
              t = { values: [], sampledCount: 0 };
              this.timers.set(key, t);
            }
            t.values.push(s.value);
            t.sampledCount += 1 / s.sampleRate;
            break;
          }
          case 'g': {
            if (this.config.deleteGauges) this.gaugesTTL.set(key, this.config.gaugesMaxTTL);
            const old = this.gauges.get(key);
            this.gauges.set(key, s.delta && old !== undefined ? old + s.value : s.value);
            break;
          }
          case 's': {
            let set = this.sets.get(key);
            if (set === undefined) {
              set = new Set();
              this.sets.set(key, set);
            }
            set.add(s.member);
            break;
          }
        }
      }
      if (groupEnd === headEnd) break;
      groupStart = groupEnd + 1;
    }
    if (good) this.samplesTotal++;
  }

  private bad(error: string): void {
    this.internal.bad_lines_seen++;
    this.badLinesTotal++;
    this.lastError = error;
  }

  /**
   * Resets the state after a flush as stats.js's clear_metrics does: counters to 0 (or deleted, except
   * statsd's own), timers and sets emptied (or deleted), gauges kept unless deleteGauges and their TTL
   * ran out.
   */
  clearAfterFlush(): void {
    const c = this.config;
    this.internal.bad_lines_seen = 0;
    this.internal.packets_received = 0;
    this.internal.metrics_received = 0;
    if (c.deleteCounters) this.counters.clear();
    else for (const c of this.counters.values()) c.value = 0;
    if (c.deleteTimers) this.timers.clear();
    else {
      for (const t of this.timers.values()) {
        t.values = [];
        t.sampledCount = 0;
      }
    }
    if (c.deleteSets) this.sets.clear();
    else for (const s of this.sets.values()) s.clear();
    if (c.deleteGauges) {
      for (const [k, ttl] of this.gaugesTTL) {
        if (ttl - 1 < 1) {
          this.gauges.delete(k);
          this.gaugesTTL.delete(k);
        } else this.gaugesTTL.set(k, ttl - 1);
      }
    }
  }
}
