/** Checks ahead of a long run that its checkpoint file can be written at all. */
import { open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { LoomError } from "@loom/graph";
import { checkUnlocked } from "./lock";
import { errorCode, ioError, resolveTarget, tempPath } from "./target";

/**
 * Checks, before a run trains for an hour, that a checkpoint could be saved at `path`: the path is
 * not empty, its directory exists and accepts a new file, and it is not a directory. Throws an
 * `io` or `invalid_argument` LoomError naming the path.
 */
export const checkWritable = async (path: string): Promise<void> => {
  const target = await resolveTarget(path);
  const dir = dirname(target);
  const dirInfo = await stat(dir).catch((e: unknown) => {
    throw errorCode(e) === "ENOENT"
      ? new LoomError("io", "checkpoint", `cannot write ${path}: directory ${dir} does not exist`)
      : ioError("write", path, e);
  });
  if (!dirInfo.isDirectory()) {
    throw new LoomError("io", "checkpoint", `cannot write ${path}: ${dir} is not a directory`);
  }
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new LoomError("io", "checkpoint", `cannot write ${path}: it is a directory`);
  }
  await checkUnlocked(path);
  // Permission bits do not tell (root, ACLs, read-only mounts): create and remove a real file.
  const probe = tempPath(target);
  try {
    await (await open(probe, "wx")).close();
  } catch (e) {
    throw ioError("write", path, e);
  }
  await rm(probe, { force: true });
};
