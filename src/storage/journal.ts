import fs from 'node:fs';
import path from 'node:path';

/**
 * The complete lines of an append-only journal file (the tag index's, the events store's), for replay
 * at start. A missing file is an empty journal (its directory is created for the first append). A torn
 * last line — a crash in the middle of an append — is dropped and cut off the file, so the next append
 * starts on a line of its own.
 */
export function readJournalLines(file: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }
  const lines = text.split('\n');
  // '' after a final '\n', or the torn line.
  const tail = lines.pop() ?? '';
  if (tail !== '') fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(tail));
  return lines;
}
