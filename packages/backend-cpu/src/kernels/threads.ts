import type { TypedArray } from "@loom/graph";
import { platform, platformCores } from "./spawn";
import {
  BROKEN,
  CLOSED,
  COUNT,
  CTL_BYTES,
  DONE,
  ERRLEN,
  FAILED,
  KIND,
  MAX_CHUNKS,
  MAX_PARAMS,
  MAX_VIEWS,
  MSG,
  NVIEWS,
  PARAMS,
  PARTICIPANTS,
  READY,
  REPORTED,
  SLOTS,
  TICKET,
  VERSION,
  VIEWS,
  VIEW_TYPES,
  WORKER_CHUNKS,
} from "./worker-program";

export { MAX_CHUNKS, MAX_PARAMS, MAX_VIEWS } from "./worker-program";

/**
 * A synchronous fork-join thread pool for the library kernels, which are synchronous functions:
 * the main thread publishes a job in shared memory, wakes the workers with `Atomics.notify`,
 * works on the job itself, then `Atomics.wait`s until every chunk is done. Chunks are claimed
 * from a shared counter rather than dealt out in advance, so a thread that a busy machine slows
 * down takes fewer of them, and a job never waits for a worker that has not started yet.
 *
 * Workers run the same code as the main thread: the pool is given the tasks (an array of chunk
 * functions) and the source text of an expression that builds the same array in a fresh thread,
 * made from self-contained factory functions (`gemmCore` in gemm.ts). Workers are Node's
 * worker_threads or, in a worker of a cross-origin isolated page, Web Workers (spawn.ts);
 * elsewhere `createPool` returns undefined and the kernels run in one thread.
 */

/** One chunk of a job: `p` are the job's integer parameters, `v` its operands. */
export type ChunkTask = (p: Int32Array, v: readonly TypedArray[], chunk: number) => void;

/** How to build a pool. */
export interface PoolOptions {
  /** The tasks on the main thread; a job names one by its index. */
  readonly tasks: readonly ChunkTask[];
  /**
   * Source of an expression evaluating to the same tasks in a worker; `__name` is defined for
   * it, `data` (below) and `index` (the worker's, from 0).
   */
  readonly source: string;
  /** Posted to every worker as it starts (e.g. a WebAssembly module and its shared memory). */
  readonly data?: unknown;
  /** Worker threads (the main thread works too). */
  readonly size: number;
  /** A job fails when no chunk completes for this long (a worker died or hangs); default 30 s. */
  readonly timeoutMs?: number;
}

/** Where the main thread's time went in a job: its own chunks, then waiting for the workers'. */
export interface JoinTimes {
  readonly workMs: number;
  readonly waitMs: number;
}

/** A fork-join pool of worker threads. */
export interface ThreadPool {
  /** Worker threads (the main thread works too). */
  readonly size: number;
  /** False once the pool is terminated (after a timeout or a worker's exit): make a new one. */
  readonly alive: boolean;
  /** Chunks the workers have run so far (the main thread runs the rest): for tests and timing. */
  readonly workerChunks: number;
  /** Blocks until every worker has started (for tests and timing); throws if one failed to. */
  ready(timeoutMs?: number): void;
  /**
   * Runs chunks `0..count-1` of task `kind` on the main thread and up to `workers` workers and
   * returns when all are done, or throws the first error any thread raised. Every view must
   * be backed by a SharedArrayBuffer; `params` are at most `MAX_PARAMS` int32s.
   */
  run(
    kind: number,
    params: ArrayLike<number>,
    views: readonly TypedArray[],
    count: number,
    workers?: number,
  ): JoinTimes;
  /** Stops the workers (they are `unref`ed, so an idle pool never keeps a process alive anyway). */
  terminate(): void;
}

/** Most worker threads by default: each is an isolate of its own, and only 2 cores were measured. */
const MAX_WORKERS = 7;

/** Whether worker threads can run the kernels here (Node with shared memory, or a worker of a cross-origin isolated page). */
export const threadsAvailable = (): boolean => platformCores() !== undefined;

/** Threads the kernels use by default: one per available core (at most 8), or 1 without worker threads. */
export const defaultThreads = (): number => {
  const cores = platformCores();
  return cores === undefined ? 1 : Math.max(1, Math.min(MAX_WORKERS + 1, cores));
};

const viewType = (v: TypedArray): number => {
  const t = VIEW_TYPES.findIndex((c) => v instanceof c);
  if (t < 0) throw new Error(`thread pool: unsupported operand ${v.constructor.name}`);
  return t;
};

const decoder = new TextDecoder();

/** A pool of `opts.size` workers, or undefined where worker threads are unavailable. */
export const createPool = (opts: PoolOptions): ThreadPool | undefined => {
  const plat = opts.size < 1 ? undefined : platform();
  if (plat === undefined) return undefined;
  const size = Math.min(opts.size, MAX_CHUNKS);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ctlBuffer = new SharedArrayBuffer(CTL_BYTES);
  const ctl = new Int32Array(ctlBuffer);
  Atomics.store(ctl, TICKET, CLOSED);
  let alive = true;
  let failure: Error | undefined;
  const events = {
    error: (e: Error) => (failure ??= e),
    // A worker whose tasks failed to compile exits; the pool then stays, throwing why.
    exit: () => {
      if (Atomics.load(ctl, BROKEN) === 0) alive = false;
    },
  };
  const workers = Array.from({ length: size }, (_, index) =>
    plat.spawn({ ctlBuffer, index, source: opts.source, data: opts.data }, events),
  );

  const message = () => decoder.decode(new Uint8Array(ctlBuffer, MSG * 4, ctl[ERRLEN]));
  const slots: (SharedArrayBuffer | undefined)[] = new Array(SLOTS).fill(undefined);
  const used = new Array<number>(SLOTS).fill(-1);
  let version = 0;
  let jobs = 0;

  const slotOf = (buf: SharedArrayBuffer): number => {
    let s = slots.indexOf(buf);
    if (s < 0) {
      s = used.indexOf(Math.min(...used));
      slots[s] = buf;
      version++;
      for (const w of workers) w.post(s, buf);
    }
    used[s] = jobs;
    return s;
  };

  const checkHealthy = () => {
    if (Atomics.load(ctl, BROKEN) !== 0) throw new Error(`thread pool: ${message()}`);
    if (failure !== undefined) {
      terminate();
      throw new Error(`thread pool: worker error: ${failure.message}`, { cause: failure });
    }
  };

  const terminate = () => {
    alive = false;
    for (const w of workers) w.terminate();
    plat.close();
  };

  const ready = (waitMs = 30_000) => {
    const t0 = performance.now();
    for (;;) {
      checkHealthy();
      const r = Atomics.load(ctl, READY);
      if (r >= size) return;
      const left = waitMs - (performance.now() - t0);
      if (left <= 0)
        throw new Error(`thread pool: ${size - r} worker(s) not started in ${waitMs} ms`);
      Atomics.wait(ctl, READY, r, Math.min(left, 50));
    }
  };

  const run: ThreadPool["run"] = (kind, params, views, count, maxWorkers = size) => {
    checkHealthy();
    if (!alive) throw new Error("thread pool: terminated");
    if (!(Number.isInteger(count) && count >= 0 && count <= MAX_CHUNKS))
      throw new Error(`thread pool: ${count} chunks (an integer from 0 to ${MAX_CHUNKS})`);
    if (views.length > MAX_VIEWS || params.length > MAX_PARAMS)
      throw new Error("thread pool: too many operands or parameters");
    const task = opts.tasks[kind];
    if (task === undefined) throw new Error(`thread pool: no task ${kind}`);
    jobs++;
    views.forEach((v, i) => {
      if (!(v.buffer instanceof SharedArrayBuffer))
        throw new Error("thread pool: operands must be backed by a SharedArrayBuffer");
      const o = VIEWS + 4 * i;
      ctl[o] = slotOf(v.buffer);
      ctl[o + 1] = viewType(v);
      ctl[o + 2] = v.byteOffset;
      ctl[o + 3] = v.length;
    });
    ctl[NVIEWS] = views.length;
    ctl.set(params, PARAMS);
    ctl[KIND] = kind;
    Atomics.store(ctl, VERSION, version);
    Atomics.store(ctl, PARTICIPANTS, Math.min(maxWorkers, size));
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, REPORTED, 0);
    Atomics.store(ctl, COUNT, count);
    const gen = (jobs & 0x7fff) << 16;
    Atomics.store(ctl, TICKET, gen);
    Atomics.notify(ctl, TICKET);

    const p = ctl.subarray(PARAMS, PARAMS + MAX_PARAMS);
    const started = performance.now();
    // Boxed, so that even `throw undefined` is rethrown.
    let error: { e: unknown } | undefined;
    for (;;) {
      const t = Atomics.load(ctl, TICKET);
      if ((t & 0xffff) >= count) break;
      if (Atomics.compareExchange(ctl, TICKET, t, t + 1) !== t) continue;
      if (Atomics.load(ctl, FAILED) === 0) {
        try {
          task(p, views, t & 0xffff);
        } catch (e) {
          error ??= { e };
          Atomics.store(ctl, FAILED, 1);
        }
      }
      Atomics.add(ctl, DONE, 1);
    }

    // Join: progress, not total time, is bounded, so a long job never times out.
    let last = Atomics.load(ctl, DONE);
    let since = performance.now();
    const joined = since;
    for (;;) {
      const d = Atomics.load(ctl, DONE);
      if (d >= count) break;
      const now = performance.now();
      if (d !== last) {
        last = d;
        since = now;
      } else if (now - since > timeoutMs) {
        terminate();
        throw new Error(
          `thread pool: no chunk finished in ${timeoutMs} ms (${count - d} of ${count} pending): a worker died or hangs`,
        );
      }
      Atomics.wait(ctl, DONE, d, 50);
    }
    Atomics.store(ctl, TICKET, gen | CLOSED);
    if (error !== undefined) throw error.e;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error(`thread pool: ${message()}`);
    return { workMs: joined - started, waitMs: performance.now() - joined };
  };

  return {
    size,
    get alive() {
      return alive;
    },
    get workerChunks() {
      return Atomics.load(ctl, WORKER_CHUNKS);
    },
    ready,
    run,
    terminate,
  };
};
