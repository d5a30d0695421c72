import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from './support/debian.js';
import { getJson, type RenderJson, sendTcp, sendUdp, until } from './support/net.js';
import { type RunningServer, startServer } from './support/server.js';

// End to end: `carbonado serve` as a process, fed over plaintext TCP, UDP and pickle on loopback,
// answering from the cache at once, and leaving whisper files that python3-whisper reads back.

const root = mkdtempSync(join(tmpdir(), 'carbonado-serve-'));
const dataDir = join(root, 'data');
const schemasDir = join(root, 'conf');
let server: RunningServer;
const now = Math.floor(Date.now() / 1000);
const T = now - (now % 60) - 120; // a minute boundary two minutes ago: inside every archive

before(async () => {
  mkdirSync(schemasDir);
  writeFileSync(join(schemasDir, 'storage-schemas.conf'), '[all]\npattern = .*\nretentions = 10s:1h,1m:1d\n');
  writeFileSync(
    join(schemasDir, 'storage-aggregation.conf'),
    '[sum]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n',
  );
  server = await startServer(['--data-dir', dataDir, '--schemas-dir', schemasDir, '--instance', 'e2e']);
});

after(async () => {
  await server?.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('the server warmed up before taking traffic, on scratch data that reached neither the data directory nor queries', async () => {
  assert.match(
    server.stderr(),
    /warmed up in \d+ ms: 300000 scratch points received, 20000 scratch writes per write thread/,
  );
  assert.doesNotMatch(server.stderr(), /warm-up: /, 'no part of the warm-up failed');
  assert.deepEqual(await getJson(server.ports.http, '/metrics/find?query=carbonado.warmup'), []);
  assert.ok(!existsSync(join(dataDir, 'carbonado', 'warmup')), 'no scratch file in the data directory');
  assert.ok(!existsSync(join(dataDir, 'warmup')), 'no write-thread scratch file in the data directory');
});

async function render(target: string): Promise<RenderJson> {
  return getJson<RenderJson>(
    server.ports.http,
    `/render?target=${encodeURIComponent(target)}&from=${T - 10}&until=${T + 60}&format=json`,
  );
}

function valuesAt(series: RenderJson[number], ts: number[]): Array<number | null> {
  const byTs = new Map(series.datapoints.map(([v, t]) => [t, v]));
  return ts.map((t) => byTs.get(t) ?? null);
}

test('plaintext over TCP is readable at once, bad lines are skipped, the stream goes on', async () => {
  const lines = [
    `e2e.tcp.a 1.5 ${T}`,
    'this is not a metric line at all',
    `e2e.tcp.a 2.5 ${T + 10}`,
    `e2e.tcp.b nan ${T}`,
    `e2e.tcp.b 7 ${T + 20}`,
    `../../escape 1 ${T}`,
    `e2e..empty 1 ${T}`,
    `e2e.tcp.c 3 -5`,
  ];
  await sendTcp(server.ports.line, `${lines.join('\n')}\n`);
  let got: RenderJson = [];
  await until(async () => {
    got = await render('e2e.tcp.*');
    return got.length === 2 && got[1].datapoints.some(([v]) => v === 7);
  }, 'the TCP points');
  assert.deepEqual(
    got.map((s) => s.target),
    ['e2e.tcp.a', 'e2e.tcp.b'],
  );
  assert.deepEqual(valuesAt(got[0], [T, T + 10, T + 20]), [1.5, 2.5, null]);
  assert.deepEqual(valuesAt(got[1], [T, T + 10, T + 20]), [null, null, 7]);
});

test('plaintext over UDP, several lines a datagram, and a 64 KB junk datagram hurts nothing', async () => {
  await sendUdp(server.ports.udp, Buffer.alloc(65000, 0xff));
  await sendUdp(server.ports.udp, `e2e.udp.x 10 ${T}\ne2e.udp.y 20 ${T}\ne2e.udp.x 11 ${T + 10}\n`);
  let got: RenderJson = [];
  await until(async () => {
    got = await render('e2e.udp.{x,y}');
    return got.length === 2 && got[0].datapoints.some(([v]) => v === 11);
  }, 'the UDP points');
  assert.deepEqual(valuesAt(got[0], [T, T + 10]), [10, 11]);
  assert.deepEqual(valuesAt(got[1], [T, T + 10]), [20, null]);
});

test('pickle frames from Python are accepted; a frame with GLOBAL/REDUCE is refused', async (t) => {
  const skip = ensureDebianPackages(['python3-whisper']);
  if (skip) return t.skip(skip);
  const script = `import pickle,struct,sys
T=int(sys.argv[1])
data=[('e2e.pickle.p', (T, 4.25)), ('e2e.pickle.p', (T+10, 5)), ('e2e.pickle.q', (T, -1.0))]
for proto in (0, 2, 4):
    body=pickle.dumps(data, protocol=proto)
    sys.stdout.buffer.write(struct.pack('!L', len(body)) + body)
`;
  const frames = execFileSync(DEBIAN_PYTHON, ['-c', script, String(T)]);
  await sendTcp(server.ports.pickle, frames);
  let got: RenderJson = [];
  await until(async () => {
    got = await render('e2e.pickle.*');
    return got.length === 2;
  }, 'the pickle points');
  assert.deepEqual(valuesAt(got[0], [T, T + 10]), [4.25, 5]);
  assert.deepEqual(valuesAt(got[1], [T, T + 10]), [-1, null]);

  const evil = execFileSync(DEBIAN_PYTHON, [
    '-c',
    `import pickle,struct,sys,os
class E:
    def __reduce__(self): return (os.system, ('touch ${join(root, 'pwned')}',))
body=pickle.dumps([('e2e.evil', (1, E()))], protocol=2)
sys.stdout.buffer.write(struct.pack('!L', len(body)) + body)`,
  ]);
  await sendTcp(server.ports.pickle, evil);
  await sendTcp(server.ports.pickle, frames.subarray(0, frames.readUInt32BE(0) + 4));
  assert.equal(existsSync(join(root, 'pwned')), false);
  const evilSeries = await render('e2e.evil');
  assert.deepEqual(evilSeries, []);
});

test('tagged series over plaintext are indexed, found and rendered with seriesByTag', async () => {
  await sendTcp(
    server.ports.line,
    `disk.used;mount=/var/lib;host=web1 5 ${T}\ndisk.used;host=web2;mount=/ 6 ${T}\n`,
  );
  let found: string[] = [];
  await until(async () => {
    found = await getJson<string[]>(server.ports.http, '/tags/findSeries?expr=name=disk.used');
    return found.length === 2;
  }, 'the tag index');
  assert.deepEqual(found, ['disk.used;host=web1;mount=/var/lib', 'disk.used;host=web2;mount=/']);
  const r = await getJson<
    Array<{ target: string; tags: Record<string, string>; datapoints: Array<[number | null, number]> }>
  >(
    server.ports.http,
    `/render?target=${encodeURIComponent("seriesByTag('host=web1')")}&from=${T - 10}&until=${T + 10}&format=json`,
  );
  assert.equal(r.length, 1);
  assert.equal(r[0].target, 'disk.used;host=web1;mount=/var/lib');
  assert.deepEqual(r[0].tags, { host: 'web1', mount: '/var/lib', name: 'disk.used' });
  assert.ok(r[0].datapoints.some(([v, t]) => v === 5 && t === T));
});

test('events are stored and read back', async () => {
  const post = await fetch(`http://127.0.0.1:${server.ports.http}/events/`, {
    method: 'POST',
    body: JSON.stringify({ what: 'deploy', tags: ['release', 'web'], data: 'v1.2', when: T }),
  });
  assert.equal(post.status, 200);
  const got = await getJson<Array<{ what: string; tags: string[]; when: number }>>(
    server.ports.http,
    `/events/get_data?from=${T - 60}&until=${T + 60}&tags=web`,
  );
  assert.equal(got.length, 1);
  assert.equal(got[0].what, 'deploy');
  assert.deepEqual(got[0].tags, ['release', 'web']);
});

test('SIGTERM drains the cache into whisper files that python3-whisper reads back', async (t) => {
  const skip = ensureDebianPackages(['python3-whisper']);
  if (skip) return t.skip(skip);
  await sendTcp(server.ports.line, `e2e.drain.count 3 ${T}\ne2e.drain.count 4 ${T + 10}\n`);
  await until(async () => (await render('e2e.drain.count')).length === 1, 'the drain point');
  assert.equal(await server.stop('SIGTERM'), 0);
  // Nothing outside the data directory: the bad names never became files.
  assert.deepEqual(readdirSync(root).sort(), ['conf', 'data']);
  const read = (metric: string, from: number, until: number) =>
    JSON.parse(
      execFileSync(
        'whisper-fetch',
        ['--json', `--from=${from}`, `--until=${until}`, join(dataDir, `${metric.replaceAll('.', '/')}.wsp`)],
        {
          encoding: 'utf8',
        },
      ),
    ) as { start: number; step: number; values: Array<number | null> };
  const a = read('e2e.tcp.a', T - 10, T + 20);
  assert.equal(a.step, 10);
  // whisper.fetch starts at the first step after `from`: slots T, T+10, T+20.
  assert.deepEqual(a.values, [1.5, 2.5, null]);
  assert.deepEqual(read('e2e.pickle.p', T - 10, T + 20).values, [4.25, 5, null]);
  assert.deepEqual(read('e2e.udp.y', T - 10, T + 20).values, [20, null, null]);
  // The minute archive got the propagated sum (storage-aggregation.conf's rule for .count).
  const minute = read('e2e.drain.count', now - 7200, now);
  assert.equal(minute.step, 60);
  assert.ok(minute.values.includes(7), `minute archive: ${JSON.stringify(minute.values)}`);
  const info = JSON.parse(
    execFileSync('whisper-info', ['--json', join(dataDir, 'e2e/drain/count.wsp')], { encoding: 'utf8' }),
  );
  assert.equal(info.aggregationMethod, 'sum');
  assert.equal(info.xFilesFactor, 0);
});
