/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over the
 * target, fsync the directory. Either the old file stays byte-identical or the new one is
 * complete. Temp files of a killed writer (ours by name, their pid no longer running) are removed
 * on the next write; symbolic links are written through, so the link stays a link.
 */
import { open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isRunning } from "./pid";
import { ioError, resolveTarget, tempPath } from "./target";

/** Flushes a directory entry (the rename) to disk; not possible on every platform, so best effort. */
const syncDirectory = async (dir: string): Promise<void> => {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open directories; the rename itself is still atomic there.
  }
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Removes `<target>.tmp-<pid>-<12 hex>` files left by writers that no longer run; never anything else. */
export const removeStaleTemps = async (target: string): Promise<string[]> => {
  const dir = dirname(target);
  const pattern = new RegExp(`^${escapeRegExp(basename(target))}\\.tmp-(\\d+)-[0-9a-f]{12}$`);
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const m = pattern.exec(name);
    return m !== null && !isRunning(Number(m[1]));
  });
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
  return stale;
};

/** Writes bytes to `path` atomically: either the old file stays byte-identical or the new one is complete. */
export const writeFileAtomic = async (path: string, bytes: Uint8Array): Promise<void> => {
  const target = await resolveTarget(path);
  const dir = dirname(target);
  await removeStaleTemps(target);
  const temp = tempPath(target);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw ioError("write", path, e);
  }
  await syncDirectory(dir);
};
