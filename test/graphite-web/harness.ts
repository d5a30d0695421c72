import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEBIAN_PYTHON, ensureDebianPackages } from '../support/debian.js';

/** A running graphite-web, reachable at `url` (no trailing slash). */
export interface GraphiteWeb {
  url: string;
  /** Stops gunicorn and removes the temp settings, database and logs. Safe to call twice. */
  stop(): Promise<void>;
}

/** The Debian packages the harness needs; pass to ensureDebianPackages and skip with its reason. */
export const GRAPHITE_WEB_PACKAGES = ['graphite-web', 'gunicorn'];

/** Returns null when graphite-web can be started here, or the reason it cannot (names the package). */
export function graphiteWebUnavailable(): string | null {
  return ensureDebianPackages(GRAPHITE_WEB_PACKAGES);
}

/**
 * Starts Debian's graphite-web 1.1.8 under gunicorn on 127.0.0.1 (a port the kernel picks), serving the
 * whisper tree `whisperDir`. Settings are a temp module named by GRAPHITE_SETTINGS_MODULE (how
 * graphite/settings.py loads local settings): UTC, no carbonlink, no worker pool (deterministic, one
 * thread), a temp sqlite database migrated before start, no render cache. Resolves once /version answers.
 */
export async function startGraphiteWeb(opts: {
  whisperDir: string;
  /**
   * graphite-web's CLUSTER_SERVERS ("host:port" each): it then also asks these servers, as a cluster
   * frontend, over /metrics/find and /render with format=pickle and local=1 (finders/remote.py).
   */
  clusterServers?: string[];
  timeoutMs?: number;
}): Promise<GraphiteWeb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-graphite-web-'));
  const whisperDir = path.resolve(opts.whisperDir);
  fs.mkdirSync(path.join(dir, 'log'));
  fs.writeFileSync(
    path.join(dir, 'carbonado_test_settings.py'),
    settingsModule(dir, whisperDir, opts.clusterServers ?? []),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: dir,
    GRAPHITE_SETTINGS_MODULE: 'carbonado_test_settings',
    DJANGO_SETTINGS_MODULE: 'graphite.settings',
    TZ: 'UTC',
    PYTHONDONTWRITEBYTECODE: '1',
  };

  const migrate = spawnSync(DEBIAN_PYTHON, ['-m', 'django', 'migrate', '--run-syncdb', '-v', '0'], {
    env,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`graphite-web: django migrate failed: ${migrate.stderr.slice(-2000)}`);
  }

  // Port 0: gunicorn binds what the kernel gives and logs "Listening at: http://127.0.0.1:PORT", so no
  // window where another process could take a port we picked.
  const child = spawn(
    DEBIAN_PYTHON,
    [
      '-m',
      'gunicorn',
      '--bind',
      '127.0.0.1:0',
      '--workers',
      '1',
      '--threads',
      '1',
      '--timeout',
      '120',
      '--log-level',
      'info',
      'graphite.wsgi:application',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let stopped = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await terminate(child, exited);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`graphite-web: gunicorn did not listen: ${stderr.slice(-2000)}`)),
        opts.timeoutMs ?? 30_000,
      );
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
        const m = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`graphite-web: gunicorn exited (${code}): ${stderr.slice(-2000)}`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(`${url}/version/`, opts.timeoutMs ?? 30_000);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function settingsModule(dir: string, whisperDir: string, clusterServers: string[]): string {
  const py = (s: string) => JSON.stringify(s); // a JSON string is a valid Python string literal here
  return [
    '# Written by test/graphite-web/harness.ts for one test run.',
    `SECRET_KEY = ${py('carbonado-differential-tests')}`,
    `TIME_ZONE = 'UTC'`,
    `STORAGE_DIR = ${py(dir)}`,
    `WHISPER_DIR = ${py(whisperDir)}`,
    `STANDARD_DIRS = [${py(whisperDir)}]`,
    `LOG_DIR = ${py(path.join(dir, 'log'))}`,
    `INDEX_FILE = ${py(path.join(dir, 'index'))}`,
    'CARBONLINK_HOSTS = []',
    'USE_WORKER_POOL = False',
    'DEFAULT_CACHE_DURATION = 0',
    'LOG_RENDERING_PERFORMANCE = False',
    'LOG_CACHE_PERFORMANCE = False',
    'FUNCTION_PLUGINS = []',
    `CLUSTER_SERVERS = [${clusterServers.map(py).join(', ')}]`,
    'DATABASES = {',
    `  'default': {'NAME': ${py(path.join(dir, 'graphite.db'))}, 'ENGINE': 'django.db.backends.sqlite3',`,
    `              'USER': '', 'PASSWORD': '', 'HOST': '', 'PORT': ''},`,
    '}',
    '',
  ].join('\n');
}

// A bounded poll: gunicorn logs "Listening" before Django has loaded, and a foreign process gives no
// readiness signal of its own.
async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`graphite-web: ${url} not ready after ${timeoutMs} ms: ${last}`);
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killTimer);
}
