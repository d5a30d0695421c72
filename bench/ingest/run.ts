/**
 * `npm run bench:ingest [-- flags]`: the same plaintext load sent side by side to Carbonado and to
 * Debian's carbon-cache on loopback; prints a table and writes the figures as JSON. bench/README.md
 * defines every figure.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { carbonCache } from './carbon-cache.js';
import { type CarbonadoBuild, carbonado, REPO_ROOT } from './carbonado.js';
import { buildLoad, type LoadShape, splitWarmup, warmupShape } from './load.js';
import {
  type CacheMemoryResult,
  measureCacheMemory,
  measureRun,
  type RunOptions,
  type RunResult,
} from './measure.js';
import { formatTable, ratios, targets } from './report.js';
import { mountScratchExt4 } from './scratch-fs.js';
import { type BenchSystem, killRunning } from './system.js';

const USAGE = `usage: npm run bench:ingest -- [options]

  --metrics N           distinct metrics (default 10000)
  --points N            points per metric (default 60)
  --step S              seconds between a metric's points = whisper precision (default 10)
  --connections LIST    connection counts to run, comma-separated (default 1,4)
  --repeat N            runs of each system per connection count; ratios use the medians (default 1)
  --systems LIST        carbonado,carbon-cache (default both)
  --no-cache-pass       skip the cache memory pass
  --existing-files      create every metric's file first (the warm-up's points, awaited on disk), so
                        the timed run measures updates of existing files, not file creation
  --warmup N            points sent and awaited on disk before each timed run, untimed: over the
                        load's metrics with --existing-files, else over metrics of their own
                        (default: as many as the load; 0: none, or one point per metric with
                        --existing-files); sent in two halves, each followed by a 2 s pause
  --data-fs FS          where the servers' files go: tmp (a temp dir under the OS temp dir, default)
                        or ext4 (a fresh ext4 made and loop-mounted for this run; needs root)
  --persist-timeout S   give up waiting for the whisper files after S seconds (default 300)
  --carbonado-build B   tsx (run src/ through tsx, default) or dist (run the tsc build)
  --carbonado-node-arg A  an argument for Carbonado's node, repeatable (e.g. --cpu-prof)
  --out FILE            JSON results (default .bench/ingest.json)
  --keep                keep the temp directory (its path is printed)`;

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new Error(`--${name} got '${text}'; want an integer >= 1`);
  return n;
}

function nonNegativeInt(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`--${name} got '${text}'; want an integer >= 0`);
  return Number(text);
}

function parseFlags(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      metrics: { type: 'string', default: '10000' },
      points: { type: 'string', default: '60' },
      step: { type: 'string', default: '10' },
      connections: { type: 'string', default: '1,4' },
      repeat: { type: 'string', default: '1' },
      systems: { type: 'string', default: 'carbon-cache,carbonado' },
      'no-cache-pass': { type: 'boolean', default: false },
      'existing-files': { type: 'boolean', default: false },
      warmup: { type: 'string', default: 'load' },
      'data-fs': { type: 'string', default: 'tmp' },
      'persist-timeout': { type: 'string', default: '300' },
      'carbonado-build': { type: 'string', default: 'tsx' },
      'carbonado-node-arg': { type: 'string', multiple: true, default: [] },
      // .bench/ is git-ignored: a run leaves no change in the tree.
      out: { type: 'string', default: join(REPO_ROOT, '.bench', 'ingest.json') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const dataFs = values['data-fs'];
  if (dataFs !== 'tmp' && dataFs !== 'ext4') throw new Error(`--data-fs got '${dataFs}'; want tmp or ext4`);
  const build = values['carbonado-build'];
  if (build !== 'tsx' && build !== 'dist')
    throw new Error(`--carbonado-build got '${build}'; want tsx or dist`);
  const known: Record<string, BenchSystem> = {
    'carbon-cache': carbonCache,
    carbonado: carbonado(build as CarbonadoBuild, values['carbonado-node-arg']),
  };
  const systems = values.systems.split(',').map((name) => {
    const s = known[name.trim()];
    if (!s) throw new Error(`--systems: got '${name}'; want one of ${Object.keys(known).join(', ')}`);
    return s;
  });
  return {
    metrics: positiveInt('metrics', values.metrics),
    points: positiveInt('points', values.points),
    step: positiveInt('step', values.step),
    connections: values.connections.split(',').map((c) => positiveInt('connections', c.trim())),
    repeat: positiveInt('repeat', values.repeat),
    systems,
    cachePass: !values['no-cache-pass'],
    existingFiles: values['existing-files'],
    dataFs,
    warmup: values.warmup === 'load' ? undefined : nonNegativeInt('warmup', values.warmup),
    persistTimeoutMs: positiveInt('persist-timeout', values['persist-timeout']) * 1000,
    build: build as CarbonadoBuild,
    out: resolve(values.out),
    keep: values.keep,
  };
}

/**
 * One archive at the load's step, holding the load plus an hour: whisper drops points older than its
 * retention at write time (whisper.py file_update_many), so the slack keeps a slow run's points in.
 */
function schemasFor(shape: LoadShape): string {
  const slots = shape.points + Math.ceil(3600 / shape.step);
  return `# Written by bench/ingest: every metric, the benchmark's and the self-metrics, in one small archive.\n[everything]\npattern = .*\nretentions = ${shape.step}s:${slots}\n`;
}

const log = (msg: string) => process.stderr.write(`bench:ingest ${msg}\n`);

/**
 * Writes every dirty page to disk (sync(1)) and returns how long it took, in ms. Run before each server
 * starts, so a run does not pay for the writeback of the files the previous run left dirty, another
 * system's as often as not: the kernel writes pages back 30 s after they were dirtied
 * (vm.dirty_expire_centisecs), which fell inside the next run's timed span (see bench/README.md).
 */
function flushDirtyPages(): number {
  const started = performance.now();
  execFileSync('sync');
  return Math.round(performance.now() - started);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const now = Math.floor(Date.now() / 1000);
  const shape: LoadShape = {
    metrics: flags.metrics,
    points: flags.points,
    step: flags.step,
    lastTimestamp: Math.floor(now / flags.step) * flags.step - flags.step,
  };
  const schemas = schemasFor(shape);
  const opts: RunOptions = {
    persistTimeoutMs: flags.persistTimeoutMs,
    acceptPollMs: 2,
    persistPollMs: 10,
    stopGraceMs: 60_000,
  };
  // 8 GiB sparse: the runs' files stay until the end (see Caveats in bench/README.md).
  const scratch = flags.dataFs === 'ext4' ? mountScratchExt4(tmpdir(), 8 * 2 ** 30) : undefined;
  const root = mkdtempSync(join(scratch?.dir ?? tmpdir(), 'carbonado-bench-ingest-'));
  const cleanup = () => {
    if (!flags.keep) {
      rmSync(root, { recursive: true, force: true });
      scratch?.remove();
    }
  };
  // Stopped by a signal (Ctrl-C, or kill): the servers go first, as they hold the directory and mount.
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => {
      void killRunning().finally(() => {
        cleanup();
        process.exit(code);
      });
    });
  log(
    `load ${shape.metrics} metrics x ${shape.points} points, step ${shape.step}s; temp dir ${root}${scratch ? ' (a fresh ext4)' : ''}`,
  );
  const runs: RunResult[] = [];
  const memory: CacheMemoryResult[] = [];
  const failures: { system: string; connections: number | 'cache'; error: string }[] = [];
  let runNo = 0;
  try {
    for (const connections of flags.connections) {
      const load = buildLoad(shape, connections);
      const warmShape = warmupShape(shape, flags.warmup ?? shape.metrics * shape.points, flags.existingFiles);
      const warmups = warmShape === null ? [] : splitWarmup(warmShape).map((part) => buildLoad(part, 1));
      // Systems alternate within a repetition, so drift in the machine's load hits both alike.
      for (let rep = 0; rep < flags.repeat; rep++)
        for (const system of flags.systems) {
          const dir = join(root, `${++runNo}-${system.name}-${connections}c`);
          mkdirSync(dir);
          log(
            `${system.name}: ${load.totalPoints} points (${load.totalBytes} bytes) over ${connections} connection(s)`,
          );
          log(`${system.name}: sync before the run took ${flushDirtyPages()} ms`);
          try {
            const server = await system.start({ dir, schemas, deferWrites: false, readyTimeoutMs: 60_000 });
            // A failed measurement must not leave the server running (kill after stop is a no-op).
            const r = await measureRun(system.name, server, load, opts, warmups).finally(() => server.kill());
            runs.push(r);
            log(
              `${system.name}: accepted in ${r.acceptedSeconds.toFixed(3)} s, persisted ${r.persistedSeconds === null ? 'TIMEOUT' : `in ${r.persistedSeconds.toFixed(3)} s (found at ${r.detectedSeconds?.toFixed(3)} s)`}, ${r.minorFaults} minor faults`,
            );
          } catch (e) {
            failures.push({ system: system.name, connections, error: (e as Error).message });
            log(`${system.name}: FAILED: ${(e as Error).message}`);
          }
          // Run directories go only at the end (cleanup): ext4 skips inodes freed in the last minute
          // when it allocates new ones, so a run creating 10,000 files right after another run's
          // 10,000 were deleted spent 5-10x longer in mkdir and open, whichever system it was.
        }
    }
    if (flags.cachePass) {
      const load = buildLoad(shape, 1);
      for (const system of flags.systems) {
        const dir = join(root, `${++runNo}-${system.name}-cache`);
        mkdirSync(dir);
        log(`${system.name}: cache pass, writes deferred`);
        try {
          const server = await system.start({ dir, schemas, deferWrites: true, readyTimeoutMs: 60_000 });
          memory.push(await measureCacheMemory(system.name, server, load, opts).finally(() => server.kill()));
        } catch (e) {
          failures.push({ system: system.name, connections: 'cache', error: (e as Error).message });
          log(`${system.name}: cache pass FAILED: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    cleanup();
  }
  const r = ratios(runs);
  const results = {
    benchmark: 'ingest',
    command: `npm run bench:ingest -- ${process.argv.slice(2).join(' ')}`.trim(),
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      kernel: release(),
      node: process.version,
    },
    load: { ...shape, format: 'plaintext', retentions: schemas.split('retentions = ')[1].trim() },
    warmupPoints: flags.warmup ?? shape.metrics * shape.points,
    existingFiles: flags.existingFiles,
    dataFs: flags.dataFs,
    carbonadoBuild: flags.build,
    runs,
    ratios: r,
    cacheMemory: memory,
    targets: targets(runs, r),
    failures,
  };
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatTable(runs, r, memory));
  for (const f of failures) console.log(`FAILED ${f.system} (${f.connections}): ${f.error.split('\n')[0]}`);
  console.log(`targets: ${JSON.stringify(results.targets)}\nresults: ${flags.out}`);
  if (failures.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`bench:ingest: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
