import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setQuiet } from '../log.js';
import { WriteAheadLog } from './wal.js';

const FLUSH_INTERVAL = 200;
// A flush is a write on libuv's thread pool after the timer fires; allow it this long to land.
const WRITE_ALLOWANCE = 300;

test('kill -9 under load loses only the points of about the last flushInterval', async (t) => {
  setQuiet(true);
  const dir = mkdtempSync(join(tmpdir(), 'carbonado-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./wal-crash.child.ts', import.meta.url)),
      dir,
      String(FLUSH_INTERVAL),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const progress: { count: number; at: number }[] = [];
  let startedAt = 0;
  let killedAt = 0;
  const killAfter = (6 + Math.random()) * FLUSH_INTERVAL;
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const [first, at] = line.split(' ');
    if (first === 'ready') {
      startedAt = Number(at);
      continue;
    }
    progress.push({ count: Number(first), at: Number(at) });
    // Kill once the child has fed points for several flush intervals (by its own report, not a timer), at
    // a random phase of its flush timer, so that the loss is anywhere between none and one interval.
    if (killedAt === 0 && Number(at) - startedAt >= killAfter) {
      killedAt = Date.now();
      child.kill('SIGKILL');
    }
  }
  assert.equal(await exited, 'SIGKILL');

  const accepted = progress[progress.length - 1].count;
  const safe = progress.filter((p) => p.at <= killedAt - FLUSH_INTERVAL - WRITE_ALLOWANCE);
  assert.ok(safe.length > 0, 'the child ran long enough before the kill');
  const mustHave = safe[safe.length - 1].count;

  const seen = new Uint8Array(accepted);
  let wrong = 0;
  const wal = new WriteAheadLog({ dir, fsync: false });
  const report = await wal.open({
    restore(name, timestamp, value) {
      const k = timestamp;
      if (name !== `crash.m${k % 50}` || value !== 2 * k || k >= accepted || seen[k]) wrong++;
      else seen[k] = 1;
    },
    oldestSegment: () => 0,
  });
  await wal.close();
  const missingBelow = seen.subarray(0, mustHave).indexOf(0);
  const firstMissing = seen.indexOf(0);
  const lostFrom = progress.find((p) => p.count > firstMissing);
  t.diagnostic(
    `accepted ${accepted} points; replayed ${report.points} (${report.tornTails} torn tails); ` +
      `lost the ${accepted - report.points} accepted in the last ${lostFrom ? killedAt - lostFrom.at : 0} ms`,
  );
  assert.equal(wrong, 0, 'every replayed point is one the child accepted, once, with its value');
  assert.equal(report.corruptBlocks, 0);
  assert.equal(
    missingBelow,
    -1,
    `point ${missingBelow} (of ${mustHave} accepted by ${FLUSH_INTERVAL + WRITE_ALLOWANCE} ms before the kill) is missing`,
  );
  assert.equal(firstMissing === -1 ? accepted : firstMissing, report.points, 'what is replayed is a prefix');
});
