/**
 * `npm run bench:render [-- flags]`: the same /render requests asked of Carbonado and of Debian's
 * graphite-web 1.1.8 over one whisper tree (1,000 series, 10 s for a day); prints p50/p99 latency per
 * case and the ratios, and the cost of just reading the files. bench/README.md defines every figure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WhisperStore } from '../../src/storage/whisper/store.js';
import {
  type GraphiteWeb,
  graphiteWebUnavailable,
  startGraphiteWeb,
} from '../../test/graphite-web/harness.js';
import { DEBIAN_PYTHON } from '../../test/support/debian.js';
import { type RenderCase, renderCases } from './cases.js';
import { answerDifference, percentile } from './stats.js';
import { DEFAULT_TREE, type TreeShape, writeTree } from './tree.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const USAGE = `usage: npm run bench:render -- [options]

  --runs N          measured samples per case for Carbonado (default 20)
  --web-runs N      measured samples per case for graphite-web (default 3)
  --systems LIST    carbonado,graphite-web (default both)
  --cases LIST      substrings of case names to run (default all)
  --hosts N         hosts of 10 metrics each (default 100, i.e. 1,000 series)
  --out FILE        JSON results (default .bench/render.json)
  --keep            keep the temp directory (its path is printed)`;

interface CaseResult {
  name: string;
  skipped?: string;
  carbonado?: { p50: number; p99: number; samples: number[] };
  graphiteWeb?: { p50: number; p99: number; samples: number[] };
  /** graphite-web's p50 over Carbonado's (how many times faster), likewise p99. */
  ratioP50?: number;
  ratioP99?: number;
  /** null when both systems answered the same series and values. */
  answersDiffer?: string | null;
}

function positiveInt(name: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new Error(`--${name} got '${text}'; want an integer >= 1`);
  return Number(text);
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      runs: { type: 'string', default: '20' },
      'web-runs': { type: 'string', default: '3' },
      systems: { type: 'string', default: 'carbonado,graphite-web' },
      cases: { type: 'string', default: '' },
      hosts: { type: 'string', default: String(DEFAULT_TREE.hosts) },
      out: { type: 'string', default: join(REPO_ROOT, '.bench', 'render.json') },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const runs = positiveInt('runs', values.runs);
  const webRuns = positiveInt('web-runs', values['web-runs']);
  const systems = values.systems.split(',');
  for (const s of systems)
    if (s !== 'carbonado' && s !== 'graphite-web') throw new Error(`--systems: unknown system '${s}'`);
  const shape: TreeShape = { ...DEFAULT_TREE, hosts: positiveInt('hosts', values.hosts) };
  const wanted = values.cases ? values.cases.split(',') : [];
  const cases = renderCases(shape.hosts).filter(
    (c) => !wanted.length || wanted.some((w) => c.name.includes(w)),
  );

  let useWeb = systems.includes('graphite-web');
  const webMissing = useWeb ? graphiteWebUnavailable() : null;
  if (webMissing) {
    console.log(`graphite-web skipped: ${webMissing}`);
    useWeb = false;
  }

  const dir = mkdtempSync(join(tmpdir(), 'carbonado-bench-render-'));
  let ours: { url: string; stop(): Promise<void> } | undefined;
  let web: GraphiteWeb | undefined;
  try {
    const now = Math.floor(Date.now() / 1000);
    const t0 = performance.now();
    const names = writeTree(dir, shape, now);
    console.log(
      `tree: ${names.length} series x ${shape.points} points at ${shape.step} s in ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    // A day minus 30 minutes, so that graphite-web's own clock (whisper.fetch uses time.time()) never
    // clamps `from` to the archive's edge during the run, and both systems answer the same window.
    const until = now;
    const from = until - shape.step * shape.points + 1800;
    const window = `from=${from}&until=${until}&now=${until}`;

    if (systems.includes('carbonado')) ours = await startCarbonado(dir);
    if (useWeb) web = await startGraphiteWeb({ whisperDir: dir, timeoutMs: 60_000 });

    const floors = {
      carbonadoReadMs: await carbonadoReadFloor(dir, names, from, until),
      graphiteWebReadMs: useWeb ? pythonWhisperReadFloor(dir, names, from, until) : undefined,
    };
    console.log(
      `read floor (${names.length} files, no HTTP, no functions): Carbonado WhisperStore.fetch ${fmt(floors.carbonadoReadMs)}` +
        (floors.graphiteWebReadMs !== undefined
          ? `, python3-whisper fetch ${fmt(floors.graphiteWebReadMs)}`
          : ''),
    );

    const results: CaseResult[] = [];
    for (const c of cases) {
      const result: CaseResult = { name: c.name };
      results.push(result);
      if (ours) {
        const missing = await missingFunctions(ours.url, c.needs);
        if (missing.length) {
          result.skipped = `Carbonado lacks ${missing.join(', ')}`;
          console.log(`${c.name}: skipped, ${result.skipped}`);
          continue;
        }
      }
      let ourBodies: string[] = [];
      let webBodies: string[] = [];
      if (ours) {
        ourBodies = await sample(ours.url, c, window); // warm-up, and the answers compared below
        await timed(ours.url, c, window); // and the timing client's connections
        const samples: number[] = [];
        for (let i = 0; i < runs; i++) samples.push(await timed(ours.url, c, window));
        result.carbonado = { p50: percentile(samples, 50), p99: percentile(samples, 99), samples };
      }
      if (web) {
        webBodies = await sample(web.url, c, window);
        await timed(web.url, c, window);
        const samples: number[] = [];
        for (let i = 0; i < webRuns; i++) samples.push(await timed(web.url, c, window));
        result.graphiteWeb = { p50: percentile(samples, 50), p99: percentile(samples, 99), samples };
      }
      if (result.carbonado && result.graphiteWeb) {
        result.ratioP50 = result.graphiteWeb.p50 / result.carbonado.p50;
        result.ratioP99 = result.graphiteWeb.p99 / result.carbonado.p99;
        result.answersDiffer = null;
        for (let i = 0; i < ourBodies.length && !result.answersDiffer; i++)
          result.answersDiffer = answerDifference(ourBodies[i], webBodies[i]);
      }
      console.log(line(result));
    }

    console.log(`\n${table(results)}`);
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(
      values.out,
      `${JSON.stringify({ machine: { cpus: cpus().length, cpu: cpus()[0]?.model }, tree: shape, window: { from, until }, floors, results }, null, 2)}\n`,
    );
    console.log(`results: ${values.out}`);
  } finally {
    for (const agent of agents.values()) agent.destroy();
    await ours?.stop();
    await web?.stop();
    if (values.keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** bench/render/serve.ts in its own node process; resolves when it prints its port. */
async function startCarbonado(root: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'bench', 'render', 'serve.ts'), root],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`bench/render/serve.ts exited (${code}) before listening`)),
    );
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^listening (\d+)$/.exec(l);
      if (m) resolvePort(Number(m[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function missingFunctions(url: string, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const n of names) {
    const res = await fetch(`${url}/functions/${n}`);
    await res.arrayBuffer();
    if (res.status !== 200) missing.push(n);
  }
  return missing;
}

/** The request URLs of one sample of a case, in order. */
function requestUrls(url: string, c: RenderCase, window: string): string[] {
  return c.requests.map((targets) => {
    const query = targets.map((t) => `target=${encodeURIComponent(t)}`).join('&');
    return `${url}/render?format=json&${window}&${query}${c.query}`;
  });
}

/** Runs `one` over `urls` with `concurrency` in flight, in order of starting. */
async function inFlight(urls: string[], concurrency: number, one: (url: string, i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const i = next++;
      await one(urls[i], i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The warm-up sample: every request answered (json), `concurrency` in flight; the bodies in order. */
async function sample(url: string, c: RenderCase, window: string): Promise<string[]> {
  const bodies = new Array<string>(c.requests.length);
  await inFlight(requestUrls(url, c, window), c.concurrency, async (u, i) => {
    const res = await fetch(u);
    bodies[i] = await res.text();
    if (res.status !== 200) throw new Error(`${url}: ${c.name}: ${res.status} ${bodies[i].slice(0, 300)}`);
  });
  return bodies;
}

// Kept-alive connections per server, as a browser keeps them (a server that closes them gets new ones).
const agents = new Map<string, Agent>();

/**
 * One timed sample: every request sent, every answer read to its last byte and dropped, on node:http.
 * Decoding and keeping the bodies (fetch's text()) is the client's work, not the server's: for the
 * 28 MB movingAverage answer it was a third of the sample, the same added to both systems.
 */
async function timed(url: string, c: RenderCase, window: string): Promise<number> {
  let agent = agents.get(url);
  if (agent === undefined) {
    agent = new Agent({ keepAlive: true, maxSockets: c.concurrency });
    agents.set(url, agent);
  }
  const urls = requestUrls(url, c, window);
  const t = performance.now();
  await inFlight(urls, c.concurrency, (u) => drain(u, agent, c.name));
  return performance.now() - t;
}

function drain(url: string, agent: Agent, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: ${what}: status ${res.statusCode}`));
        return;
      }
      res.on('data', () => {});
      res.on('end', () => resolve());
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Reading the files only: WhisperStore.fetch of every series, one after another as /render does. */
async function carbonadoReadFloor(
  root: string,
  names: string[],
  from: number,
  until: number,
): Promise<number> {
  const store = new WhisperStore({
    root,
    schemaFor: () => {
      throw new Error('bench/render never writes');
    },
  });
  const now = Math.floor(Date.now() / 1000);
  for (const n of names.slice(0, 10)) await store.fetch(n, from, until, now); // warm the code paths
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (const n of names) await store.fetch(n, from, until, now);
    samples.push(performance.now() - t);
  }
  return percentile(samples, 50);
}

/** The same in Debian's Python: whisper.fetch of every file, what graphite-web's reader does per series. */
function pythonWhisperReadFloor(root: string, names: string[], from: number, until: number): number {
  const script = `
import sys, time, whisper, os
root, frm, until = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
paths = [os.path.join(root, *n.split('.')) + '.wsp' for n in sys.stdin.read().split()]
samples = []
for r in range(5):
  t = time.perf_counter()
  for p in paths:
    whisper.fetch(p, frm, until)
  samples.append((time.perf_counter() - t) * 1000)
samples.sort()
print(samples[2])
`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', script, root, String(from), String(until)], {
    input: names.join('\n'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`python3-whisper read floor: ${r.stderr}`);
  return Number(r.stdout.trim());
}

function fmt(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '-';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function line(r: CaseResult): string {
  const parts = [r.name];
  if (r.carbonado) parts.push(`Carbonado p50 ${fmt(r.carbonado.p50)} p99 ${fmt(r.carbonado.p99)}`);
  if (r.graphiteWeb) parts.push(`graphite-web p50 ${fmt(r.graphiteWeb.p50)} p99 ${fmt(r.graphiteWeb.p99)}`);
  if (r.ratioP50 !== undefined) parts.push(`${r.ratioP50.toFixed(1)}x faster at p50`);
  if (r.answersDiffer) parts.push(`ANSWERS DIFFER: ${r.answersDiffer}`);
  return parts.join('; ');
}

function table(results: CaseResult[]): string {
  const head = [
    'case',
    'Carbonado p50',
    'p99',
    'graphite-web p50',
    'p99',
    'ratio p50',
    'ratio p99',
    'same answer',
  ];
  const rows = results.map((r) =>
    r.skipped
      ? [r.name, `skipped: ${r.skipped}`, '', '', '', '', '', '']
      : [
          r.name,
          fmt(r.carbonado?.p50),
          fmt(r.carbonado?.p99),
          fmt(r.graphiteWeb?.p50),
          fmt(r.graphiteWeb?.p99),
          r.ratioP50 === undefined ? '-' : `${r.ratioP50.toFixed(1)}x`,
          r.ratioP99 === undefined ? '-' : `${r.ratioP99.toFixed(1)}x`,
          r.answersDiffer === undefined ? '-' : r.answersDiffer === null ? 'yes' : 'NO',
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmtRow = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmtRow(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmtRow)].join(
    '\n',
  );
}

await main();
