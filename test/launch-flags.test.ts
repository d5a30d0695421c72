import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { launchFlags } from '../bench/ingest/carbonado.js';

const root = join(import.meta.dirname, '..');

test('`carbonado`, `npm start` and bench/ingest run node with the same flags', () => {
  const flags = launchFlags(join(root, 'src', 'cli', 'main.ts'));
  assert.deepEqual(flags, ['--min-semi-space-size=16']);
  const start: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  assert.equal(start, `node ${flags.join(' ')} dist/cli/main.js serve`);
});

test('launchFlags: a plain `#!/usr/bin/env node` or no shebang has none; several flags come in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'carbonado-launch-'));
  try {
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    assert.deepEqual(launchFlags(file('plain.js', '#!/usr/bin/env node\nx();\n')), []);
    assert.deepEqual(launchFlags(file('none.js', 'x();\n')), []);
    assert.deepEqual(launchFlags(file('two.js', '#!/usr/bin/env -S node --a=1  --b\nx();\n')), [
      '--a=1',
      '--b',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
