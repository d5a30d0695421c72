import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServerPorts {
  line: number;
  udp: number;
  pickle: number;
  http: number;
  statsd: number;
  statsdAdmin: number;
}

export interface RunningServer {
  proc: ChildProcess;
  ports: ServerPorts;
  /** Everything the server wrote to stderr so far (logs), for assertion messages. */
  stderr(): string;
  /** Sends a signal and resolves with the exit code (or signal name) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Starts `carbonado serve` from source in a child process with free ports and resolves once it printed
 * its ready line (`carbonado ready {...ports}`) — no sleeps.
 */
export function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--bind', '127.0.0.1', '--ephemeral-ports', ...args],
    { cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, ...env }, stdio: 'pipe' },
  );
  let err = '';
  proc.stderr?.on('data', (d) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    const onExit = (code: number | string) =>
      reject(new Error(`server exited (${code}) before ready:\n${err}`));
    exited.then(onExit);
    rl.on('line', (line) => {
      const m = /^carbonado ready (\{.*\})$/.exec(line);
      if (!m) return;
      resolve({
        proc,
        ports: JSON.parse(m[1]) as ServerPorts,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      });
    });
  });
}
