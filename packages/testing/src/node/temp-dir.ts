import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";

/**
 * A fresh directory under the OS's temp dir for each test of the calling file, removed after
 * it (made writable first, since a test may take its write permission away); the returned
 * function names the current test's directory.
 */
export const tempDirEach = (prefix: string): (() => string) => {
  const cell = { dir: "" };
  beforeEach(async () => {
    cell.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await chmod(cell.dir, 0o700);
    await rm(cell.dir, { recursive: true, force: true });
  });
  return () => cell.dir;
};
