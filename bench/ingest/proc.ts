import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the benchmark reads about a server process and its sockets from Linux's /proc: memory
 * (VmHWM/VmRSS), CPU time, and the bytes still queued on the TCP connections. Parsers are pure; the
 * `read*` functions do the I/O.
 */

/** Memory of a process, bytes: VmHWM is the peak resident set, VmRSS the current one. */
export interface ProcMemory {
  peakRss: number;
  rss: number;
}

/** Parses /proc/<pid>/status. Throws when VmHWM or VmRSS is missing (e.g. a zombie has none). */
export function parseProcStatus(text: string): ProcMemory {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new Error(`/proc status: no '${field}:' line; got ${JSON.stringify(text.slice(0, 80))}`);
    return Number(m[1]) * 1024;
  };
  return { peakRss: kb('VmHWM'), rss: kb('VmRSS') };
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on: the command name (field 2) is in parentheses
 * and may hold spaces or ')', so fields are counted from its last ')'. Field N of proc(5) is index N - 3.
 */
function statFields(text: string): string[] {
  const close = text.lastIndexOf(')');
  if (close < 0)
    throw new Error(`/proc stat: no ')' after the command name; got ${JSON.stringify(text.slice(0, 80))}`);
  return text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
}

/** Field N of proc(5) as a whole number; throws naming it otherwise. */
function statCount(fields: string[], n: number, name: string): number {
  const v = Number(fields[n - 3]);
  if (!(Number.isInteger(v) && v >= 0))
    throw new Error(`/proc stat: ${name} at field ${n} got '${fields[n - 3]}'; want a count`);
  return v;
}

/** Parses /proc/<pid>/stat into CPU ticks: utime + stime, fields 14 and 15 of proc(5). */
export function parseProcStatTicks(text: string): number {
  const fields = statFields(text);
  return statCount(fields, 14, 'utime') + statCount(fields, 15, 'stime');
}

/**
 * Parses /proc/<pid>/stat into the process's minor page faults (minflt, field 10): first touches of
 * memory that needed no disk read. Each one costs a trap into the kernel and a page zeroed.
 */
export function parseProcStatMinorFaults(text: string): number {
  return statCount(statFields(text), 10, 'minflt');
}

/** One TCP socket as /proc/net/tcp lists it (IPv4). Queues are bytes. */
export interface TcpSocket {
  localPort: number;
  remotePort: number;
  /** Sent but not yet acknowledged by the peer. */
  txQueue: number;
  /** Received but not yet read by the application: what the server has not taken off the socket. */
  rxQueue: number;
}

/**
 * Parses /proc/net/tcp (proc(5)): after a header line, one socket per line,
 * `sl local_address rem_address st tx_queue:rx_queue ...` with addresses as HEXIP:HEXPORT.
 */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const lines = text.split('\n');
  const out: TcpSocket[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const local = f[1]?.split(':');
    const remote = f[2]?.split(':');
    const queues = f[4]?.split(':');
    if (local?.length !== 2 || remote?.length !== 2 || queues?.length !== 2) {
      throw new Error(
        `/proc/net/tcp line ${i + 1}: got ${JSON.stringify(line.slice(0, 60))}; want 'sl local rem st tx:rx ...'`,
      );
    }
    out.push({
      localPort: Number.parseInt(local[1], 16),
      remotePort: Number.parseInt(remote[1], 16),
      txQueue: Number.parseInt(queues[0], 16),
      rxQueue: Number.parseInt(queues[1], 16),
    });
  }
  return out;
}

/** Reads the memory figures of a live process. */
export function readProcMemory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

let ticksPerSecond = 0;
/** CPU time (user + system) a live process has used so far, seconds. */
export function readCpuSeconds(pid: number): number {
  if (ticksPerSecond === 0)
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / ticksPerSecond;
}

/** Minor page faults of process `pid` so far (all its threads). */
export function readMinorFaults(pid: number): number {
  return parseProcStatMinorFaults(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Every IPv4 TCP socket of this network namespace. */
export function readTcpSockets(): TcpSocket[] {
  return parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
}
