import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create } from './create.js';
import { fetch } from './fetch.js';
import { WhisperCorruptError } from './format.js';
import { info } from './info.js';
import { WhisperStore } from './store.js';
import { updateMany } from './update.js';

const dir = mkdtempSync(join(tmpdir(), 'carbonado-whisper-corrupt-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'good.wsp');
create(
  good,
  [
    { secondsPerPoint: 1, points: 10 },
    { secondsPerPoint: 5, points: 6 },
  ],
  {},
);
updateMany(good, [99_999], [1], 100_000);

// Each file is a real failure mode: copy cut short, zeroed, or never a whisper file.
const FILES: Array<[string, (path: string) => void, RegExp]> = [
  ['empty', (p) => writeFileSync(p, ''), /file is 0 bytes/],
  ['cut inside the metadata', (p) => truncateSync(p, 9), /file is 9 bytes/],
  [
    'cut inside the archive infos',
    (p) => truncateSync(p, 30),
    /archive count 2 needs a 40-byte header but the file is 30 bytes/,
  ],
  [
    'cut inside the last archive',
    (p) => truncateSync(p, 200),
    /archive 1 spans bytes 160..232 but the file is 200 bytes \(truncated\?\)/,
  ],
  ['zeroed', (p) => writeFileSync(p, Buffer.alloc(232)), /unknown aggregation type 0/],
  [
    'text',
    (p) => writeFileSync(p, 'hello, this is not a whisper file at all'),
    /unknown aggregation type 1751477356/,
  ],
];

for (const [name, damage, message] of FILES) {
  test(`a ${name} file fails cleanly on info, fetch and update`, () => {
    const path = join(dir, `${name.replaceAll(' ', '-')}.wsp`);
    copyFileSync(good, path);
    damage(path);
    const isCorrupt = (e: unknown) =>
      e instanceof WhisperCorruptError && e.path === path && message.test(e.message);
    assert.throws(() => info(path), isCorrupt);
    assert.throws(() => fetch(path, 99_990, 100_000, 100_000), isCorrupt);
    assert.throws(() => updateMany(path, [99_999], [1], 100_000), isCorrupt);
  });
}

test('a corrupt file fails its own metric only', async () => {
  const root = join(dir, 'store');
  mkdirSync(join(root, 'a'), { recursive: true });
  copyFileSync(good, join(root, 'a', 'ok.wsp'));
  writeFileSync(join(root, 'a', 'bad.wsp'), Buffer.alloc(10));
  const store = new WhisperStore({
    root,
    schemaFor: () => {
      throw new Error('no create expected');
    },
  });
  await assert.rejects(store.fetch('a.bad', 99_990, 100_000, 100_000), WhisperCorruptError);
  const ok = await store.fetch('a.ok', 99_990, 100_000, 100_000);
  assert.deepEqual(Array.from(ok?.values ?? []).slice(-2), [1, Number.NaN]);
});
