/**
 * An exclusive lock on a checkpoint file, so that two runs writing the same checkpoint cannot
 * silently replace each other's work: a lock file `<target>.lock` created with `wx` (which fails
 * if it exists) holding the owner's pid and host, removed on release. A lock left by a process
 * that no longer runs on this host is stale and taken over; any other lock is refused with a
 * LoomError naming the file and the lock.
 */
import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { LoomError } from "@loom/graph";
import { isRunning } from "./pid";
import { errorCode, ioError, resolveTarget } from "./target";

/** A held lock on one checkpoint file. */
export interface CheckpointLock {
  /** The file the lock guards, symbolic links resolved. */
  readonly target: string;
  /** The lock file. */
  readonly lockPath: string;
  /** Removes the lock file if it is still this lock's; safe to call twice. */
  release(): Promise<void>;
}

interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
}

type Holder =
  | { readonly kind: "gone" }
  | { readonly kind: "owner"; readonly owner: Owner; readonly text: string }
  | { readonly kind: "unreadable"; readonly text: string };

const parseOwner = (text: string): Owner | undefined => {
  try {
    const o = JSON.parse(text) as Partial<Owner> | null;
    return typeof o?.pid === "number" && typeof o.host === "string" && typeof o.nonce === "string"
      ? { pid: o.pid, host: o.host, nonce: o.nonce }
      : undefined;
  } catch {
    return undefined;
  }
};

const readHolder = async (lockPath: string): Promise<Holder> => {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return { kind: "gone" };
    throw ioError("read the lock", lockPath, e);
  }
  const owner = parseOwner(text);
  return owner ? { kind: "owner", owner, text } : { kind: "unreadable", text };
};

/** Only a lock from this host whose process has ended is stale: another host's pids mean nothing here. */
const isStale = (holder: Holder): holder is Extract<Holder, { kind: "owner" }> =>
  holder.kind === "owner" && holder.owner.host === hostname() && !isRunning(holder.owner.pid);

const heldError = (path: string, lockPath: string, holder: Holder): LoomError => {
  const by =
    holder.kind === "owner"
      ? `another run (pid ${holder.owner.pid} on ${holder.owner.host})`
      : "another run";
  return new LoomError(
    "io",
    "checkpoint",
    `${path} is locked by ${by}: lock file ${lockPath} exists; wait for that run to finish, or remove the lock file if no run is writing ${path}`,
  );
};

/**
 * Moves a stale lock aside under a private name and deletes it if it is still the stale one; if
 * another process replaced it meanwhile (its own takeover), puts that fresh lock back.
 */
const takeOver = async (lockPath: string, stale: string): Promise<void> => {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if (errorCode(e) === "ENOENT") return;
    throw ioError("take over the stale lock", lockPath, e);
  }
  const moved = await readFile(aside, "utf8").catch(() => stale);
  if (moved !== stale) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
};

const ATTEMPTS = 3;

/** Takes the exclusive lock on the checkpoint at `path` (symbolic links resolved), or throws naming the holder. */
export const lockCheckpoint = async (path: string): Promise<CheckpointLock> => {
  const target = await resolveTarget(path);
  const lockPath = `${target}.lock`;
  const text = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(8).toString("hex"),
  } satisfies Owner);
  let holder: Holder = { kind: "gone" };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      return {
        target,
        lockPath,
        release: async () => {
          const now = await readFile(lockPath, "utf8").catch(() => undefined);
          if (now === text) await rm(lockPath, { force: true });
        },
      };
    } catch (e) {
      if (errorCode(e) !== "EEXIST") throw ioError("lock", path, e);
    }
    holder = await readHolder(lockPath);
    if (holder.kind === "gone") continue;
    if (!isStale(holder)) break;
    await takeOver(lockPath, holder.text);
  }
  throw heldError(path, lockPath, holder);
};

/** Throws, naming the holder, if a run that is still alive holds the lock on `path`. */
export const checkUnlocked = async (path: string): Promise<void> => {
  const target = await resolveTarget(path);
  const lockPath = `${target}.lock`;
  const holder = await readHolder(lockPath);
  if (holder.kind !== "gone" && !isStale(holder)) throw heldError(path, lockPath, holder);
};
