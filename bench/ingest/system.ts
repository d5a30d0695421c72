import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/**
 * A server under test, started in its own temp directory: the benchmark sends plaintext to `linePort`
 * and reads the whisper files under `whisperRoot`.
 */
export interface RunningServer {
  readonly pid: number;
  readonly linePort: number;
  readonly whisperRoot: string;
  /** SIGTERM, then waits up to `graceMs` for exit (SIGKILL after). Resolves how it ended. */
  stop(graceMs: number): Promise<StopResult>;
  /** SIGKILL at once (the cache pass, whose deferred writes would take hours to drain). */
  kill(): Promise<void>;
  /** The last lines the process printed, for error messages. */
  outputTail(): string;
}

export interface StopResult {
  /** Milliseconds from SIGTERM to exit. */
  exitMs: number;
  code: number | null;
  signal: string | null;
  /** True when it did not exit within the grace period and was killed. */
  killed: boolean;
}

/** How to start one system. */
export interface StartOptions {
  /** Fresh temp directory owned by this run; everything the server writes goes under it. */
  dir: string;
  /** storage-schemas.conf text (carbon's format), the same for every system. */
  schemas: string;
  /** Hold points in the cache (carbon's MAX_UPDATES_PER_SECOND = 1) to measure memory per cached point. */
  deferWrites: boolean;
  readyTimeoutMs: number;
}

/** A system the benchmark compares: Carbonado or Debian's carbon-cache. */
export interface BenchSystem {
  readonly name: string;
  start(opts: StartOptions): Promise<RunningServer>;
}

/** Keeps the last `limit` characters a child printed on stdout and stderr. */
export function captureOutput(child: ChildProcess, limit = 8192): () => string {
  let tail = '';
  const add = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => tail;
}

/** Servers started and not yet exited: what `killRunning` kills when the bench itself is stopped. */
const running = new Set<RunningServer>();

/**
 * SIGKILLs every server the bench started that is still running and waits for them to exit, so that
 * a bench stopped by a signal leaves no server behind holding its temp directory (or its mount).
 */
export async function killRunning(): Promise<void> {
  await Promise.all(Array.from(running, (server) => server.kill()));
}

/** Wraps a spawned server in the RunningServer shape. */
export function runningServer(
  child: ChildProcess,
  linePort: number,
  whisperRoot: string,
  outputTail: () => string,
): RunningServer {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const server: RunningServer = {
    pid: child.pid!,
    linePort,
    whisperRoot,
    outputTail,
    async stop(graceMs) {
      const t0 = performance.now();
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first === 'late') {
        child.kill('SIGKILL');
        const end = await exited;
        return { exitMs: performance.now() - t0, ...end, killed: true };
      }
      return { exitMs: performance.now() - t0, ...first, killed: false };
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(server);
  exited.then(() => running.delete(server));
  return server;
}

/** Asks the kernel for free loopback ports (bind to 0, read, close). Carbon cannot bind port 0 itself. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('BUG: listening TCP server without a port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Resolves when a TCP connect to 127.0.0.1:port succeeds; retries every `everyMs` until `timeoutMs`,
 * and fails at once if the child exits first. This is readiness polling, the only way to know when a
 * server that prints no ready line (carbon-cache) is listening.
 */
export async function awaitListening(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  outputTail: () => string,
  everyMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  if (child.pid === undefined) throw new Error(`cannot start server: ${child.spawnfile} did not spawn`);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `server exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${outputTail()}`,
      );
    }
    if (await canConnect(port)) return;
    if (performance.now() > deadline) {
      throw new Error(`server not listening on 127.0.0.1:${port} after ${timeoutMs} ms:\n${outputTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** Spawns with piped output, failing clearly when the executable is missing. */
export function spawnServer(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): ChildProcess {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // A missing executable shows as 'error' with no pid; awaitListening/awaitReadyLine report it.
  child.on('error', () => {});
  return child;
}
