import { spawnSync } from 'node:child_process';
/**
 * Makes sure Debian packages that a test compares against (python3-whisper, graphite-web, …) are
 * installed, installing the missing ones with apt-get when running as root. Returns null when they are
 * there, or the reason they are not — the caller skips with that reason so the skip names the package.
 */
export function ensureDebianPackages(packages) {
    const missing = packages.filter((p) => !isInstalled(p));
    if (missing.length === 0)
        return null;
    if (process.getuid?.() !== 0)
        return `needs Debian packages ${missing.join(', ')} (not root, cannot install)`;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '-q', ...missing], { env, encoding: 'utf8' });
    if (r.status !== 0) {
        // The package lists may be absent on a fresh machine: update once and retry.
        spawnSync('apt-get', ['update', '-q'], { env, encoding: 'utf8' });
        r = spawnSync('apt-get', ['install', '-y', '-q', ...missing], { env, encoding: 'utf8' });
    }
    const still = missing.filter((p) => !isInstalled(p));
    if (still.length === 0)
        return null;
    return `needs Debian packages ${still.join(', ')}: apt-get install failed: ${(r.stderr ?? '').slice(-300)}`;
}
function isInstalled(pkg) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.includes('install ok installed');
}
/** The Debian Python that sees python3-whisper and graphite-web (not the python3 first on PATH). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
//# sourceMappingURL=debian.js.map