import { closeSync, openSync } from 'node:fs';
import { readHeader, type WhisperHeader } from './format.js';

/**
 * The header of the whisper file at `path` (whisper.info): aggregation method, maxRetention,
 * xFilesFactor and the archives. Null when the file cannot be opened, as whisper.info returns None
 * on an OSError; a file that opens but is not a valid whisper file throws WhisperCorruptError.
 */
export function info(path: string): WhisperHeader | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readHeader(fd, path);
  } finally {
    closeSync(fd);
  }
}
