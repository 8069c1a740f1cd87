/**
 * Checks on the files a command is about to write, made before it does any work: an output may
 * not be (or link to) one of the command's inputs or another output, nor replace an existing
 * file of another kind unless the user says so.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { LoomError } from "@loom/graph";

/** The 8-byte signature every PNG file starts with. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * The file a path names once every link is followed: for a path that does not exist yet, its
 * resolved directory joined with its name, so `a/../b.png` and a link to `b.png` compare equal.
 */
export const canonicalPath = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    // A path that does not exist yet: its directory's real path (after `..` is resolved, as the
    // write would fail on a missing directory anyway) and its name.
    const absolute = resolve(path);
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return resolve(path);
    }
  }
};

/** Whether the file at `path` starts with the PNG signature (false if it cannot be read). */
export const startsWithPng = (path: string): boolean => {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = new Uint8Array(PNG_SIGNATURE.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.every((b, i) => b === PNG_SIGNATURE[i]);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/** What a command reads and what it will write, by option name (`--checkpoint`, `--out`). */
export interface OutputPlan {
  readonly op: string;
  readonly inputs: readonly (readonly [option: string, path: string])[];
  readonly outputs: readonly (readonly [option: string, path: string])[];
  /** Replace an existing output that is not a PNG. */
  readonly overwrite: boolean;
}

/**
 * Refuses, with a LoomError naming the options and paths: a name with a NUL byte, an empty output name, an output that
 * is (or links to) an input or another output, an output that is a directory, and an existing
 * output that is not a PNG unless `overwrite` (a PNG from an earlier run is replaced freely).
 */
export const checkPngOutputs = (plan: OutputPlan): void => {
  const fail = (why: string) => new LoomError("invalid_argument", plan.op, why);
  // Node's fs throws a TypeError, not an error code, on a NUL byte in a path.
  const named = [...plan.inputs, ...plan.outputs].find(([, path]) => path.includes("\0"));
  if (named !== undefined) throw fail(`${named[0]} must not contain a NUL byte`);
  const seen = plan.inputs.map(([option, path]) => ({ option, path, real: canonicalPath(path) }));
  for (const [option, path] of plan.outputs) {
    if (path.trim() === "") throw fail(`${option} needs a file name, got ${JSON.stringify(path)}`);
    const real = canonicalPath(path);
    const clash = seen.find((s) => s.real === real);
    if (clash !== undefined) {
      throw fail(
        `${option} ${path} is the same file as ${clash.option} ${clash.path}; write the PNG elsewhere`,
      );
    }
    seen.push({ option, path, real });
    const info = statSync(path, { throwIfNoEntry: false });
    if (info?.isDirectory()) throw fail(`${option} ${path} is a directory, not a file`);
    if (info !== undefined && !plan.overwrite && !startsWithPng(path)) {
      throw fail(
        `${option} ${path} exists and is not a PNG; pass --overwrite to replace it, or choose another name`,
      );
    }
  }
};
