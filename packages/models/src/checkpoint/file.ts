/**
 * Checkpoint files in Node: a locked, atomic write (see `lock.ts` and `atomic-write.ts`) so that
 * a crash, a failed save or a second run never leaves a half-written, missing or silently
 * replaced checkpoint, and a validating read.
 */
import { readFile } from "node:fs/promises";
import { LoomError } from "@loom/graph";
import { writeFileAtomic } from "./atomic-write";
import type {
  CheckpointBundle,
  DecodeCheckpointOptions,
  EncodeCheckpointOptions,
  ExpectedCheckpoint,
  TypedCheckpoint,
} from "./bundle";
import { decodeCheckpoint, encodeCheckpoint } from "./bundle";
import type { CheckpointLock } from "./lock";
import { lockCheckpoint } from "./lock";
import { checkPath, ioError, resolveTarget } from "./target";

export { writeFileAtomic } from "./atomic-write";
export { checkWritable } from "./check-writable";
export type { CheckpointLock } from "./lock";
export { lockCheckpoint } from "./lock";

/** Options for saving a checkpoint. */
export interface SaveCheckpointOptions extends EncodeCheckpointOptions {
  /**
   * A lock the caller holds on this file for a whole run (see `lockCheckpoint`); without it, the
   * save takes the lock for the length of the write.
   */
  readonly lock?: CheckpointLock;
}

/**
 * Saves a checkpoint bundle (see `encodeCheckpoint`) to `path` atomically, under the file's lock.
 * A bundle that cannot be serialised (bad leaf, non-finite values, bad step) throws before the
 * file system is touched; a symbolic link is written through to its target.
 */
export const saveCheckpoint = async (
  path: string,
  bundle: CheckpointBundle,
  options: SaveCheckpointOptions = {},
): Promise<void> => {
  checkPath(path);
  const bytes = encodeCheckpoint(bundle, options);
  const target = await resolveTarget(path);
  const lock = options.lock ?? (await lockCheckpoint(path));
  try {
    if (lock.target !== target) {
      throw new LoomError(
        "invalid_argument",
        "checkpoint",
        `the lock given guards ${lock.target}, not ${path}`,
      );
    }
    await writeFileAtomic(path, bytes);
  } finally {
    if (options.lock === undefined) await lock.release();
  }
};

/**
 * Loads and validates a checkpoint; with `expected`, names, shapes and dtypes must match exactly
 * (see `decodeCheckpoint`). A missing or unreadable file is an `io` LoomError; every other error
 * names the path too.
 */
export const loadCheckpoint = async <E extends ExpectedCheckpoint = ExpectedCheckpoint>(
  path: string,
  expected?: E,
  options: Omit<DecodeCheckpointOptions, "source"> = {},
): Promise<TypedCheckpoint<E>> => {
  checkPath(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError("read", path, e);
  }
  return decodeCheckpoint(bytes, expected, { ...options, source: path });
};
