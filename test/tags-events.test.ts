import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CacheReader } from '../src/cache/reader.js';
import { EventStore } from '../src/events/store.js';
import { createHttpServer, type HttpService } from '../src/http/server.js';
import { setQuiet } from '../src/log.js';
import { WhisperStore } from '../src/storage/whisper/store.js';
import { TagDB } from '../src/tags/tagdb.js';
import { type GraphiteWeb, graphiteWebUnavailable, startGraphiteWeb } from './graphite-web/harness.js';
import { DEBIAN_PYTHON, ensureDebianPackages } from './support/debian.js';

// Tags and events, differential against Debian's graphite-web 1.1.8: the same tagged whisper files
// (carbon's _tagged/ hashed layout, written by python3-whisper), the same series registered on both
// sides with /tags/tagMultiSeries, the same events posted; then every /tags answer, seriesByTag and
// groupByTags renders, /events/get_data and events() are compared.

const skip = graphiteWebUnavailable() ?? ensureDebianPackages(['python3-whisper']);
const emptyCache: CacheReader = { peek: () => undefined, names: () => [] };

const SERIES = [
  'cpu.usage;dc=eu;host=web01',
  'cpu.usage;dc=eu;host=web02',
  'cpu.usage;dc=us;host=web03',
  'cpu.idle;dc=us;host=web03',
  'disk.used;host=web01;mount=/var',
  'mem.free;dc=eu;host=db01;rack=r1',
];

const BUILD = `
import sys, time, os, hashlib, whisper
root = sys.argv[1]
T = int(time.time()); T -= T % 60
for k, name in enumerate(sys.argv[2:]):
  h = hashlib.sha256(name.encode('utf8')).hexdigest()
  p = os.path.join(root, '_tagged', h[0:3], h[3:6], h + '.wsp')
  os.makedirs(os.path.dirname(p), exist_ok=True)
  whisper.create(p, [(1, 300)], xFilesFactor=0.0)
  whisper.update_many(p, [(T - 200 + i, (i * 37 + k * 11) % 23 - 5.5) for i in range(200) if (i + k) % 7], now=T)
print(T)
`;

let dir = '';
let T = 0;
let web: GraphiteWeb | undefined;
let carbonado: HttpService | undefined;
let ours = '';

before(async () => {
  if (skip) return;
  setQuiet(true);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carbonado-h10-tags-'));
  const r = spawnSync(DEBIAN_PYTHON, ['-c', BUILD, dir, ...SERIES], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  T = Number(r.stdout.trim());
  web = await startGraphiteWeb({ whisperDir: dir });
  const store = new WhisperStore({
    root: dir,
    schemaFor: () => {
      throw new Error('never writes');
    },
  });
  carbonado = createHttpServer({
    host: '127.0.0.1',
    port: 0,
    store,
    cache: emptyCache,
    tagdb: TagDB.inMemory(),
    events: EventStore.inMemory(),
  });
  await carbonado.start();
  ours = `http://127.0.0.1:${carbonado.address().port}`;
});

after(async () => {
  await carbonado?.stop();
  await web?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function both(pathAndQuery: string, init?: RequestInit): Promise<[Answer, Answer]> {
  return [await ask(ours, pathAndQuery, init), await ask(web!.url, pathAndQuery, init)];
}

interface Answer {
  status: number;
  body: string;
}

async function ask(base: string, pathAndQuery: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(`${base}${pathAndQuery}`, init);
  return { status: res.status, body: await res.text() };
}

function form(fields: [string, string][]): RequestInit {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

async function same(pathAndQuery: string, init?: RequestInit): Promise<string> {
  const [a, b] = await both(pathAndQuery, init);
  assert.equal(
    a.status,
    b.status,
    `${pathAndQuery}: status ${a.status} (${a.body}); want ${b.status} (${b.body})`,
  );
  assert.deepEqual(JSON.parse(a.body), JSON.parse(b.body), pathAndQuery);
  return a.body;
}

test('tags: the tag API answers as graphite-web', { skip: skip ?? false }, async () => {
  // Registered out of order and in a non-canonical spelling: both canonicalize.
  const paths = ['cpu.usage;host=web02;dc=eu', ...SERIES.filter((s) => s !== 'cpu.usage;dc=eu;host=web02')];
  const tagged = await same('/tags/tagMultiSeries', form(paths.map((p) => ['path', p])));
  assert.equal(JSON.parse(tagged)[0], 'cpu.usage;dc=eu;host=web02');
  await same('/tags/tagSeries', form([['path', 'cpu.usage;dc=eu;host=web01']]));
  for (const q of [
    '/tags',
    '/tags/',
    '/tags?filter=h',
    '/tags?filter=^d&limit=1',
    '/tags/dc',
    '/tags/host?filter=web0[12]',
    '/tags/host?limit=2',
    '/tags/nosuchtag',
    '/tags/name',
    '/tags/findSeries?expr=dc=eu',
    '/tags/findSeries?expr=name=cpu.usage&expr=dc!=eu',
    '/tags/findSeries?expr=host=~web0[13]',
    '/tags/findSeries?expr=name=~cpu&expr=host!=~web01',
    '/tags/findSeries?expr=dc=&expr=host=~web',
    '/tags/findSeries?expr[]=rack=r1',
    '/tags/findSeries?expr=rack!=r2&expr=name=mem.free',
    '/tags/findSeries?expr=nope=x',
    '/tags/autoComplete/tags',
    '/tags/autoComplete/tags?tagPrefix=h',
    '/tags/autoComplete/tags?expr=dc=eu',
    '/tags/autoComplete/tags?expr=name=cpu.usage&limit=1',
    '/tags/autoComplete/values?tag=host',
    '/tags/autoComplete/values?tag=host&valuePrefix=web0',
    '/tags/autoComplete/values?tag=host&expr=dc=us',
    '/tags/autoComplete/values?tag=dc&expr=name=~cpu&limit=1',
  ])
    await same(q);
  // Errors: the same status; our message starts with upstream's and may say more (the position).
  for (const q of [
    '/tags/findSeries',
    '/tags/findSeries?expr=dc!=eu',
    '/tags/findSeries?expr=bad',
    '/tags/autoComplete/values',
  ]) {
    const [x, y] = await both(q);
    assert.equal(x.status, 400, `${q}: ${x.body}`);
    assert.equal(y.status, 400, `${q}: ${y.body}`);
    assert.ok(
      JSON.parse(x.body).error.startsWith(JSON.parse(y.body).error),
      `${q}: ${x.body}; want ${y.body}`,
    );
  }
  const [a, b] = await both('/tags/tagSeries');
  assert.equal(a.status, 405);
  assert.equal(b.status, 405);
  // Delete: the series goes, its tags stay listed (upstream keeps the tags table).
  await same('/tags/delSeries', form([['path', 'mem.free;dc=eu;host=db01;rack=r1']]));
  for (const q of [
    '/tags',
    '/tags/rack',
    '/tags/findSeries?expr=dc=eu',
    '/tags/autoComplete/tags?expr=dc=eu',
  ])
    await same(q);
  await same('/tags/tagSeries', form([['path', 'mem.free;dc=eu;host=db01;rack=r1']]));
});

test('tags: seriesByTag and groupByTags render as graphite-web', { skip: skip ?? false }, async () => {
  await same('/tags/tagMultiSeries', form(SERIES.map((p) => ['path', p])));
  const targets = [
    "seriesByTag('name=cpu.usage')",
    "seriesByTag('dc=eu')",
    "seriesByTag('name=~cpu', 'dc!=eu')",
    "seriesByTag('host=~web0[12]')",
    "seriesByTag('name=cpu.usage', 'host!=~web01')",
    'seriesByTag("dc=us","name=cpu.idle")',
    "seriesByTag('name=nothing')",
    "sumSeries(seriesByTag('name=cpu.usage'))",
    "sumSeries(seriesByTag('name=cpu.usage', 'dc=eu'))",
    "seriesByTag('name=cpu.usage') | averageSeries()",
    "groupByTags(seriesByTag('name=cpu.usage'), 'sum', 'dc')",
    "groupByTags(seriesByTag('name=~cpu'), 'average', 'dc')",
    "groupByTags(seriesByTag('name=~cpu'), 'max', 'name')",
    "groupByTags(seriesByTag('dc=~eu|us'), 'sumSeries', 'name', 'dc')",
    "aliasByTags(seriesByTag('name=cpu.usage'), 'host', 'dc')",
    "scale(seriesByTag('host=web03'), 2)",
    "seriesByTag('name=cpu.usage', 'host=web01')",
  ];
  for (const target of targets) {
    const q = `/render?format=json&from=${T - 120}&until=${T}&now=${T}&target=${encodeURIComponent(target)}`;
    await same(q);
  }
});

test('events: post, get_data and events() answer as graphite-web', { skip: skip ?? false }, async () => {
  const events = [
    { what: 'deploy web', tags: ['deploy', 'web'], when: T - 100, data: 'v1.2' },
    { what: 'deploy db', tags: 'deploy db', when: T - 90 },
    { what: 'deploy web again', tags: ['deploy', 'web'], when: T - 90, data: 'v1.3' },
    { what: 'incident', tags: ['incident'], when: T - 30, data: 'pager' },
    { what: 'old', tags: ['deploy'], when: T - 5000 },
  ];
  for (const e of events) {
    const [a, b] = await both('/events/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(e),
    });
    assert.equal(b.status, 200, b.body);
    assert.equal(a.status, 200, a.body);
  }
  for (const q of [
    `/events/get_data?from=${T - 200}&until=${T}`,
    `/events/get_data?from=${T - 200}&until=${T}&tags=deploy`,
    `/events/get_data?from=${T - 200}&until=${T}&tags=deploy%20web`,
    `/events/get_data?from=${T - 200}&until=${T}&tags=web%20incident&set=union`,
    `/events/get_data?from=${T - 200}&until=${T}&tags=deploy%20web&set=intersection`,
    `/events/get_data?tags=deploy`,
    `/events/get_data?from=${T - 200}&until=${T - 95}`,
  ])
    await same(q);
  for (const target of [
    'events("*")',
    'events("deploy")',
    'events("deploy", "web")',
    'events("nothing")',
    'summarize(events("*"), "1min", "sum")',
  ]) {
    await same(
      `/render?format=json&from=${T - 120}&until=${T}&now=${T}&target=${encodeURIComponent(target)}`,
    );
  }
  // Carbonado's own delete (graphite-web has none): the event is gone from get_data.
  const all = JSON.parse((await ask(ours, `/events/get_data?from=${T - 200}&until=${T}`)).body) as {
    id: number;
  }[];
  const del = await ask(ours, `/events/${all[0].id}/`, { method: 'DELETE' });
  assert.equal(del.status, 200);
  const rest = JSON.parse((await ask(ours, `/events/get_data?from=${T - 200}&until=${T}`)).body) as {
    id: number;
  }[];
  assert.deepEqual(
    rest.map((e) => e.id),
    all.slice(1).map((e) => e.id),
  );
  assert.equal((await ask(ours, `/events/${all[0].id}/`, { method: 'DELETE' })).status, 404);
});
