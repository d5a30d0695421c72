import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CacheReader } from '../../src/cache/reader.js';
import { createHttpServer, type HttpService } from '../../src/http/server.js';
import { setQuiet } from '../../src/log.js';
import { WhisperStore } from '../../src/storage/whisper/store.js';
import { type GraphiteWeb, startGraphiteWeb } from '../graphite-web/harness.js';
import { DEBIAN_PYTHON } from './debian.js';

/** One whisper tree served by Carbonado (in process) and by Debian's graphite-web, for differential tests. */
export interface SideBySide {
  /** The tree's `now`, as the build script printed it. */
  T: number;
  dir: string;
  /** Base URLs: Carbonado's and graphite-web's. */
  ours: string;
  theirs: string;
  stop(): Promise<void>;
}

const emptyCache: CacheReader = { peek: () => undefined, names: () => [] };

/**
 * Writes the tree with `buildScript` (a Python program run by Debian's Python with the tree's directory
 * as argv[1], printing its `now`), then starts both servers on it.
 */
export async function startSideBySide(buildScript: string, prefix: string): Promise<SideBySide> {
  setQuiet(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `carbonado-${prefix}-`));
  let web: GraphiteWeb | undefined;
  let carbonado: HttpService | undefined;
  const stop = async () => {
    await carbonado?.stop();
    await web?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const r = spawnSync(DEBIAN_PYTHON, ['-c', buildScript, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const T = Number(r.stdout.trim());
    web = await startGraphiteWeb({ whisperDir: dir });
    const store = new WhisperStore({
      root: dir,
      schemaFor: () => {
        throw new Error('a differential test never writes');
      },
    });
    carbonado = createHttpServer({ host: '127.0.0.1', port: 0, store, cache: emptyCache });
    await carbonado.start();
    return { T, dir, ours: `http://127.0.0.1:${carbonado.address().port}`, theirs: web.url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
