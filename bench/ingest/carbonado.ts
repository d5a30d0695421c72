import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchSystem, captureOutput, runningServer, spawnServer } from './system.js';

/** The repository root, where src/cli/main.ts lives. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Ports Carbonado reports in its ready line. */
export interface ReadyPorts {
  line: number;
  udp: number;
  pickle: number;
  http: number;
}

const READY_PREFIX = 'carbonado ready ';

/**
 * Parses `carbonado ready {"line":P,"udp":P,"pickle":P,"http":P}`, the line `serve` prints once every
 * listener is bound. Returns null for any other line (the server may log before it); throws when the
 * prefix is there but the ports are not.
 */
export function parseReadyLine(line: string): ReadyPorts | null {
  const at = line.indexOf(READY_PREFIX);
  if (at < 0) return null;
  const json = line.slice(at + READY_PREFIX.length).trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(
      `ready line at column ${at + READY_PREFIX.length + 1}: got ${JSON.stringify(json)}; want a JSON object of ports`,
    );
  }
  const o = parsed as Record<string, unknown>;
  const ports = {} as ReadyPorts;
  for (const k of ['line', 'udp', 'pickle', 'http'] as const) {
    const p = o?.[k];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) {
      throw new Error(`ready line: '${k}' got ${JSON.stringify(p)}; want a port 0-65535`);
    }
    ports[k] = p;
  }
  return ports;
}

/** Carbonado's config for one run: only what differs from its defaults. */
export function carbonadoConf(deferWrites: boolean): string {
  // Self-metrics every second as carbon-cache's CARBON_METRIC_INTERVAL = 1 in the same benchmark.
  return `[carbon]\nmetric_interval = 1\n${deferWrites ? '\n[cache]\nmax_updates_per_second = 1\n' : ''}`;
}

/** Which Carbonado to run: from source through tsx (the default) or the build under dist/. */
export type CarbonadoBuild = 'tsx' | 'dist';

/**
 * Carbonado's `serve`, spawned directly with node (`nodeArgs` go to node, e.g. --cpu-prof to profile
 * the server under this load) (not through npm or npx, whose wrapper process would
 * be the pid measured). Ready when it prints its ready line.
 */
export function carbonado(build: CarbonadoBuild = 'tsx', nodeArgs: string[] = []): BenchSystem {
  return {
    name: 'carbonado',
    async start({ dir, schemas, deferWrites, readyTimeoutMs }) {
      const entry =
        build === 'dist'
          ? join(REPO_ROOT, 'dist', 'cli', 'main.js')
          : join(REPO_ROOT, 'src', 'cli', 'main.ts');
      if (!existsSync(entry)) throw new Error(`Carbonado entry point ${entry} does not exist yet`);
      if (build === 'dist') {
        const stale = newerSources(join(REPO_ROOT, 'src'), statSync(entry).mtimeMs);
        // Warn rather than fail: in a tree being edited, a build is stale within minutes.
        if (stale)
          process.stderr.write(`bench:ingest WARNING: dist/ is older than ${stale}; run \`npm run build\`\n`);
      }
      for (const d of ['data', 'schemas', 'wal']) mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, 'schemas', 'storage-schemas.conf'), schemas);
      const confPath = join(dir, 'carbonado.conf');
      writeFileSync(confPath, carbonadoConf(deferWrites));
      const args = [
        // The node flags `carbonado` itself runs with (its shebang), then the bench's own.
        ...launchFlags(entry),
        ...nodeArgs,
        ...(build === 'tsx' ? ['--import', 'tsx'] : []),
        entry,
        'serve',
        ...['--config', confPath, '--data-dir', join(dir, 'data'), '--schemas-dir', join(dir, 'schemas')],
        ...['--wal-dir', join(dir, 'wal'), '--bind', '127.0.0.1'],
        ...['--line-port', '0', '--udp-port', '0', '--pickle-port', '0', '--http-port', '0'],
        // Port 0 means "off" to `serve` unless --ephemeral-ports asks for free ports (src/cli/flags.ts).
        '--ephemeral-ports',
      ];
      const child = spawnServer(process.execPath, args, REPO_ROOT, process.env);
      const tail = captureOutput(child);
      const ports = await awaitReadyLine(child, readyTimeoutMs, tail);
      if (ports.line === 0) throw new Error(`Carbonado reported no line port: ${tail()}`);
      return runningServer(child, ports.line, join(dir, 'data'), tail);
    },
  };
}

/** The node flags in `entry`'s `#!/usr/bin/env -S node ...` line: what the installed command runs with. */
export function launchFlags(entry: string): string[] {
  const first = readFileSync(entry, 'utf8').split('\n', 1)[0];
  const m = /^#!\/usr\/bin\/env -S node((?: +-[^ ]+)*) *$/.exec(first);
  return m === null ? [] : m[1].trim().split(/ +/).filter(Boolean);
}

/** The first source file under `dir` changed after `since` (ms), or null: a stale build measures old code. */
function newerSources(dir: string, since: number): string | null {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerSources(path, since);
      if (found) return found;
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      statSync(path).mtimeMs > since
    ) {
      return path;
    }
  }
  return null;
}

/** Resolves with the ports of the ready line; fails on exit or after `timeoutMs`. */
function awaitReadyLine(child: ChildProcess, timeoutMs: number, tail: () => string): Promise<ReadyPorts> {
  return new Promise((resolvePorts, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => finish(new Error(`no ready line after ${timeoutMs} ms:\n${tail()}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const ports = parseReadyLine(line);
          if (ports) return finish(null, ports);
        } catch (e) {
          return finish(e as Error);
        }
        nl = buffered.indexOf('\n');
      }
    };
    const onExit = () =>
      finish(new Error(`Carbonado exited (${child.exitCode ?? child.signalCode}) before ready:\n${tail()}`));
    const onError = (e: Error) => finish(new Error(`cannot start Carbonado: ${e.message}`));
    function finish(err: Error | null, ports?: ReadyPorts) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolvePorts(ports!);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
