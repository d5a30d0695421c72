import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fresh ext4 file system for one benchmark run (`--data-fs ext4`), made with mkfs.ext4's defaults
 * (journal included, one inode per 4 KiB) in a sparse image file under `parent` and loop-mounted.
 *
 * Why: file creation on a long-used ext4 depends on what was deleted lately. Without a journal (this
 * machine's root file system), ext4 skips inodes freed in the last 60 s (360 s while their inode table
 * block is dirty) when it allocates one, and scans past each (`recently_deleted()`, fs/ext4/ialloc.c):
 * 10,000 mkdir + create here took 6-15 s after other runs' deletions against 1 s on a fresh ext4, for
 * any program. New-file figures on such a disk measure its history more than the system under test.
 *
 * Needs root (mount), loop devices and mkfs.ext4 (e2fsprogs); throws naming what failed.
 */
export interface ScratchFs {
  /** The mount point: the benchmark's temp root. */
  dir: string;
  /** Unmounts and deletes the image. Safe to call twice. */
  remove(): void;
}

export function mountScratchExt4(parent: string, sizeBytes: number): ScratchFs {
  const base = mkdtempSync(join(parent, 'carbonado-bench-fs-'));
  const image = join(base, 'ext4.img');
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  writeFileSync(image, '');
  truncateSync(image, sizeBytes);
  let mounted = false;
  const remove = () => {
    if (mounted) {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      mounted = false;
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    run('mkfs.ext4', ['-q', '-F', '-i', '4096', image]);
    run('mount', ['-o', 'loop', image, dir]);
    mounted = true;
  } catch (e) {
    remove();
    throw e;
  }
  return { dir, remove };
}

/** Runs a tool of the set-up; throws naming the tool, its arguments and why (its stderr, or not installed). */
export function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === 'ENOENT' ? 'not installed' : (err.stderr?.toString().trim() ?? err.message);
    throw new Error(
      `--data-fs ext4: ${command} ${args.join(' ')} failed: ${why} (needs root, loop devices and e2fsprogs)`,
    );
  }
}
