import { type SpawnSyncReturns, spawnSync } from 'node:child_process';

/**
 * Makes sure Debian packages that a test compares against (python3-whisper, graphite-web, …) are
 * installed, installing the missing ones with apt-get when running as root. Returns null when they are
 * there, or the reason they are not — the caller skips with that reason so the skip names the package.
 */
export function ensureDebianPackages(packages: string[]): string | null {
  const missing = packages.filter((p) => !isInstalled(p));
  if (missing.length === 0) return null;
  if (process.getuid?.() !== 0)
    return `needs Debian packages ${missing.join(', ')} (not root, cannot install)`;
  let r = aptGet(['install', '-y', '-q', ...missing]);
  if (r.status !== 0) {
    // The package lists may be absent on a fresh machine: update once and retry.
    aptGet(['update', '-q']);
    r = aptGet(['install', '-y', '-q', ...missing]);
  }
  const still = missing.filter((p) => !isInstalled(p));
  if (still.length === 0) return null;
  return `needs Debian packages ${still.join(', ')}: apt-get install failed: ${(r.stderr ?? '').slice(-300)}`;
}

/**
 * apt-get, one at a time: the test runner runs test files in parallel, and on a fresh machine two of
 * them installing at once made the second fail on dpkg's lock (a peer test skipped in CI, 2026-12-03).
 * Our own calls queue on a flock(1) of their own; apt-get also waits up to 10 minutes for dpkg's lock
 * when someone else (unattended-upgrades) holds it. Without flock(1), apt-get's wait alone.
 */
function aptGet(args: string[]): SpawnSyncReturns<string> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = ['apt-get', '-o', 'DPkg::Lock::Timeout=600', ...args];
  const queued = spawnSync('flock', ['-w', '1200', APT_QUEUE, ...apt], { env, encoding: 'utf8' });
  if (queued.error === undefined) return queued;
  return spawnSync(apt[0], apt.slice(1), { env, encoding: 'utf8' });
}

const APT_QUEUE = '/tmp/carbonado-apt-get.lock';

function isInstalled(pkg: string): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** The Debian Python that sees python3-whisper and graphite-web (not the python3 first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
