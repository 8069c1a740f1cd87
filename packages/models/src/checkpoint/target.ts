/**
 * Where a checkpoint path really writes: refuses an empty path, follows symbolic links (dangling
 * ones too) so that a save writes through to the link's target and the link stays a link.
 */
import { randomBytes } from "node:crypto";
import { lstat, readlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { LoomError } from "@loom/graph";

/** Symbolic links followed before giving up, as the kernel's own limit (ELOOP). */
const MAX_LINKS = 40;

/** The `code` of a Node system error (ENOENT, EEXIST...), if it has one. */
export const errorCode = (e: unknown): string | undefined =>
  (e as NodeJS.ErrnoException | null)?.code;

/** An `io` LoomError naming the operation and the path. */
export const ioError = (what: string, path: string, e: unknown): LoomError =>
  new LoomError(
    "io",
    "checkpoint",
    `cannot ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`,
  );

/** Refuses an empty path, which would otherwise name no file and save nothing. */
export const checkPath = (path: string): void => {
  if (typeof path !== "string" || path === "") {
    throw new LoomError(
      "invalid_argument",
      "checkpoint",
      `the checkpoint path is ${JSON.stringify(path)}; give a file name such as run.safetensors`,
    );
  }
};

/** The absolute path a write to `path` must replace: `path` itself, or the end of its chain of links. */
export const resolveTarget = async (path: string): Promise<string> => {
  checkPath(path);
  let at = resolve(path);
  for (let i = 0; i < MAX_LINKS; i++) {
    try {
      const info = await lstat(at);
      if (!info.isSymbolicLink()) return at;
      at = resolve(dirname(at), await readlink(at));
    } catch (e) {
      // Nothing there (or a file where a directory should be): the write itself reports it.
      if (errorCode(e) === "ENOENT" || errorCode(e) === "ENOTDIR") return at;
      throw ioError("resolve", path, e);
    }
  }
  throw ioError("resolve", path, new Error(`more than ${MAX_LINKS} symbolic links`));
};

/** The name of a temp file for `target`: beside it, tagged with our pid so a later write can tell a stale one. */
export const tempPath = (target: string): string =>
  join(dirname(target), `${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
