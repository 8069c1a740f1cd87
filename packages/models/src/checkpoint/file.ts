/**
 * Checkpoint files in Node: an atomic write (temp file in the same directory, fsync, rename over
 * the target) so that a crash or a failed save never leaves a half-written or missing checkpoint,
 * and a validating read.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { LoomError } from "@loom/graph";
import type {
  CheckpointBundle,
  EncodeCheckpointOptions,
  ExpectedCheckpoint,
  LoadedCheckpoint,
} from "./bundle";
import { decodeCheckpoint, encodeCheckpoint } from "./bundle";

const ioError = (what: string, path: string, e: unknown): LoomError =>
  new LoomError(
    "io",
    "checkpoint",
    `cannot ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`,
  );

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

/** Writes bytes to `path` atomically: either the old file stays byte-identical or the new one is complete. */
export const writeFileAtomic = async (path: string, bytes: Uint8Array): Promise<void> => {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = join(
    dir,
    `${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
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

/**
 * Saves a checkpoint bundle (see `encodeCheckpoint`) to `path` atomically. A bundle that cannot be
 * serialised (bad leaf, non-finite values, bad step) throws before the file system is touched.
 */
export const saveCheckpoint = async (
  path: string,
  bundle: CheckpointBundle,
  options: EncodeCheckpointOptions = {},
): Promise<void> => {
  const bytes = encodeCheckpoint(bundle, options);
  await writeFileAtomic(path, bytes);
};

/**
 * Loads and validates a checkpoint; with `expected`, names, shapes and dtypes must match exactly
 * (see `decodeCheckpoint`). A missing or unreadable file is an `io` LoomError.
 */
export const loadCheckpoint = async (
  path: string,
  expected?: ExpectedCheckpoint,
): Promise<LoadedCheckpoint> => {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError("read", path, e);
  }
  try {
    return decodeCheckpoint(bytes, expected);
  } catch (e) {
    if (e instanceof LoomError && e.code === "checkpoint_invalid") {
      throw new LoomError(
        "checkpoint_invalid",
        "checkpoint",
        `${path}: ${e.message.replace(/^checkpoint: /, "")}`,
      );
    }
    throw e;
  }
};
