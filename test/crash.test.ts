import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEBIAN_PYTHON, ensureDebianPackages } from './support/debian.js';
import { getJson, type RenderJson } from './support/net.js';
import { type RunningServer, startServer } from './support/server.js';

// kill -9 mid-load: every point the server had accepted more than one write-ahead-log interval (1 s)
// before the kill must be in the whisper files after a restart. "Accepted" is proven, not assumed:
// after each batch the test reads a sentinel point of that batch back over HTTP — the cache answers
// queries the moment a point is accepted — and records when it saw it.

const METRICS = 200;
const FLUSH_MS = 1000;

function writeAll(sock: Socket, data: string): Promise<void> {
  return new Promise((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
}

test('kill -9 mid-load loses at most about one WAL interval of accepted points', async (t) => {
  const skip = ensureDebianPackages(['python3-whisper']);
  if (skip) return t.skip(skip);
  const root = mkdtempSync(join(tmpdir(), 'carbonado-crash-'));
  const dataDir = join(root, 'data');
  const conf = join(root, 'conf');
  mkdirSync(conf);
  writeFileSync(join(conf, 'storage-schemas.conf'), '[all]\npattern = .*\nretentions = 1s:1h\n');
  // The writer is held to 20 updates/s so that most accepted points are still only in the cache (and
  // the log) when the kill comes: without the write-ahead log they would be lost, and the test fails.
  writeFileSync(
    join(conf, 'carbonado.conf'),
    `[cache]\nmax_updates_per_second = 20\n${process.env.CRASH_TEST_EXTRA ?? ''}`,
  );
  const args = [
    '--config',
    join(conf, 'carbonado.conf'),
    '--data-dir',
    dataDir,
    '--schemas-dir',
    conf,
    '--metric-interval',
    '0',
  ];
  const servers: RunningServer[] = [];
  try {
    const first = await startServer(args);
    servers.push(first);
    const T0 = Math.floor(Date.now() / 1000) - 1800; // batch k is stamped T0 + k: distinct 1 s slots
    const line = connect({ host: '127.0.0.1', port: first.ports.line });
    await new Promise((r) => line.once('connect', r));
    const accepted: Array<{ k: number; at: number }> = [];
    const loadUntil = Date.now() + 2500;
    for (let k = 1; Date.now() < loadUntil; k++) {
      let batch = '';
      for (let m = 0; m < METRICS; m++) batch += `crash.m${m} ${k} ${T0 + k}\n`;
      batch += `crash.sentinel ${k} ${T0 + k}\n`;
      await writeAll(line, batch);
      for (;;) {
        const r = await getJson<RenderJson>(
          first.ports.http,
          `/render?target=crash.sentinel&from=${T0 + k - 1}&until=${T0 + k}&format=json`,
        ).catch((e: Error) => {
          throw new Error(`${e.message}\nserver log:\n${first.stderr().slice(-2000)}`);
        });
        if (r[0]?.datapoints.some(([v]) => v === k)) break;
      }
      accepted.push({ k, at: Date.now() });
    }
    const killedAt = Date.now();
    assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
    line.destroy();
    assert.ok(accepted.length > 20, `only ${accepted.length} batches accepted before the kill`);

    // Restart: the write-ahead log is replayed into the cache; a clean stop drains it to disk.
    const second = await startServer(args);
    servers.push(second);
    assert.equal(await second.stop('SIGTERM'), 0);

    const ks = accepted.map((a) => a.k);
    const script = `import json,sys,whisper
T0,metrics,ks=json.loads(sys.argv[1])
out={}
for m in metrics:
    try:
        (s,e,st),vals=whisper.fetch(sys.argv[2]+'/crash/'+m+'.wsp', T0, T0+max(ks)+1)
    except Exception as ex:
        out[m]=None; continue
    out[m]=[k for k in ks if vals[(T0+k-s)//st] != k]
print(json.dumps(out))`;
    const names = [...Array.from({ length: METRICS }, (_, m) => `m${m}`), 'sentinel'];
    const onDisk = JSON.parse(
      execFileSync(DEBIAN_PYTHON, ['-c', script, JSON.stringify([T0, names, ks]), dataDir], {
        encoding: 'utf8',
      }),
    ) as Record<string, number[] | null>; // per metric, the batches whose point is missing

    let lostOld = 0;
    let lostRecent = 0;
    const acceptedAt = new Map(accepted.map(({ k, at }) => [k, at]));
    for (const name of names) {
      const missing = onDisk[name];
      assert.ok(missing, `crash.${name} has no whisper file after restart`);
      for (const k of missing) {
        // Accepted within the last interval (+ a margin for the timer) may be lost; older may not.
        if (killedAt - acceptedAt.get(k)! > FLUSH_MS + 250) lostOld++;
        else lostRecent++;
      }
    }
    assert.equal(
      lostOld,
      0,
      `${lostOld} points accepted more than ${FLUSH_MS + 250} ms before the kill were lost`,
    );
    t.diagnostic(
      `${accepted.length} batches of ${METRICS + 1} points accepted; ${lostRecent} points of the last interval lost`,
    );
  } finally {
    // A failed assertion must not leave a server running (it would hold the test open until timeout).
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  }
});
