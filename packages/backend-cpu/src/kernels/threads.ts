import type { TypedArray } from "@loom/graph";
import type * as NodeWorkerThreads from "node:worker_threads";
import type * as NodeOs from "node:os";

/**
 * A synchronous fork-join thread pool for the library kernels, which are synchronous functions:
 * the main thread publishes a job in shared memory, wakes the workers with `Atomics.notify`,
 * works on the job itself, then `Atomics.wait`s until every chunk is done. Chunks are claimed
 * from a shared counter rather than dealt out in advance, so a thread that a busy machine slows
 * down takes fewer of them, and a job never waits for a worker that has not started yet.
 *
 * Workers run the same code as the main thread: the pool is given the tasks (an array of chunk
 * functions) and the source text of an expression that builds the same array in a fresh thread,
 * made from self-contained factory functions (`gemmCore` in gemm.ts). Node only: worker_threads
 * come from `process.getBuiltinModule` (no import, so browser bundles never see it); without it
 * or without SharedArrayBuffer, `createPool` returns undefined and the kernels run in one thread.
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

/** Largest number of int32 parameters of a job. */
export const MAX_PARAMS = 32;
/** Largest number of operands of a job. */
export const MAX_VIEWS = 8;
/** Most chunks in one job (the chunk counter shares a word with the job's generation). */
export const MAX_CHUNKS = 0xfffe;
/** Most worker threads by default: each is an isolate of its own, and only 2 cores were measured. */
const MAX_WORKERS = 7;

// The control block, an Int32Array over one SharedArrayBuffer. TICKET holds the job's
// generation (high 16 bits) and the next unclaimed chunk (low 16 bits): a thread claims a chunk
// with a compare-exchange that fails if the job changed, so a worker that wakes late can never
// take a chunk of a job it did not read. Between jobs the main thread closes the ticket (chunk
// 0xffff) before it rewrites the job, and rewrites nothing while a claimed chunk is unfinished.
const TICKET = 0;
const COUNT = 1;
const DONE = 2;
const FAILED = 3;
const KIND = 4;
const PARTICIPANTS = 5;
const VERSION = 6;
const NVIEWS = 7;
const READY = 8;
const BROKEN = 9;
const ERRLEN = 10;
/** Always zero: a worker sleeps on it for a millisecond while a message is in flight. */
const IDLE = 11;
const WORKER_CHUNKS = 12;
/** Set by the one failing thread that gets to write its message (before it sets FAILED or BROKEN). */
const REPORTED = 13;
const VIEWS = 16;
const PARAMS = VIEWS + 4 * MAX_VIEWS;
const MSG = 128;
const MSG_BYTES = 1024;
const CTL_BYTES = MSG * 4 + MSG_BYTES;

const CLOSED = 0xffff;

/** View classes by the code a job stores for them (the worker program lists them in this order). */
const VIEW_TYPES = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

/** Slots of shared buffers the workers hold; the least recently used is replaced. */
const SLOTS = 8;

// The worker's program: a fixed string (no transpiler touches it), which evaluates the tasks'
// source inside a try so that even a source that fails to compile is reported, not a hang.
const WORKER = `"use strict";
const { workerData, receiveMessageOnPort } = process.getBuiltinModule("node:worker_threads");
const { ctlBuffer, port, index, source, data } = workerData;
const ctl = new Int32Array(ctlBuffer);
const encoder = new TextEncoder();
const CTORS = [Float32Array, Float64Array, Int32Array, Uint8Array];
// The message is written before the flag is raised, so whoever sees the flag reads it whole.
const fail = (e, flag) => {
  if (Atomics.compareExchange(ctl, ${REPORTED}, 0, 1) === 0) {
    const text = "worker " + index + ": " + (e && e.stack ? e.stack : String(e));
    const bytes = new Uint8Array(ctlBuffer, ${MSG * 4}, ${MSG_BYTES});
    Atomics.store(ctl, ${ERRLEN}, encoder.encodeInto(text, bytes).written);
  }
  Atomics.store(ctl, flag, 1);
};
const main = () => {
  let tasks;
  try {
    // esbuild's keepNames (tsx) wraps named functions in a module-level __name helper.
    const name = (f, value) => Object.defineProperty(f, "name", { value, configurable: true });
    tasks = new Function("__name", "data", "index", "return (" + source + ");")(name, data, index);
  } catch (e) {
    fail(e, ${BROKEN});
    Atomics.notify(ctl, ${READY});
    return;
  }
  Atomics.add(ctl, ${READY}, 1);
  Atomics.notify(ctl, ${READY});
  const slots = [];
  let version = 0;
  let viewsGen = -1;
  let views = [];
  const params = ctl.subarray(${PARAMS}, ${PARAMS + MAX_PARAMS});
  for (;;) {
    const t = Atomics.load(ctl, ${TICKET});
    const gen = t >>> 16;
    const next = t & 0xffff;
    if (next >= Atomics.load(ctl, ${COUNT}) || index >= Atomics.load(ctl, ${PARTICIPANTS})) {
      Atomics.wait(ctl, ${TICKET}, t);
      continue;
    }
    if (Atomics.compareExchange(ctl, ${TICKET}, t, t + 1) !== t) continue;
    // The chunk is ours: the job cannot change until we count it done.
    if (gen !== viewsGen) {
      const need = Atomics.load(ctl, ${VERSION});
      while (version < need) {
        const m = receiveMessageOnPort(port);
        if (m === undefined) { Atomics.wait(ctl, ${IDLE}, 0, 1); continue; }
        slots[m.message.slot] = m.message.buffer;
        version++;
      }
      views = [];
      for (let i = 0; i < ctl[${NVIEWS}]; i++) {
        const o = ${VIEWS} + 4 * i;
        views.push(new CTORS[ctl[o + 1]](slots[ctl[o]], ctl[o + 2], ctl[o + 3]));
      }
      viewsGen = gen;
    }
    if (Atomics.load(ctl, ${FAILED}) === 0) {
      try {
        Atomics.add(ctl, ${WORKER_CHUNKS}, 1);
        tasks[ctl[${KIND}]](params, views, next);
      } catch (e) {
        fail(e, ${FAILED});
      }
    }
    if (Atomics.add(ctl, ${DONE}, 1) + 1 === Atomics.load(ctl, ${COUNT})) Atomics.notify(ctl, ${DONE});
  }
};
main();
`;

type WorkerThreads = typeof NodeWorkerThreads;

/** worker_threads and os when this runtime has them (Node 20.16+) and shared memory works. */
const nodeModules = (): { wt: WorkerThreads; os: typeof NodeOs } | undefined => {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return undefined;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== "function") return undefined;
  const wt = get.call(proc, "node:worker_threads") as WorkerThreads | undefined;
  const os = get.call(proc, "node:os") as typeof NodeOs | undefined;
  return wt?.Worker === undefined || os === undefined ? undefined : { wt, os };
};

/** Whether worker threads can run the kernels here (Node with shared memory, not a browser). */
export const threadsAvailable = (): boolean => nodeModules() !== undefined;

/** Threads the kernels use by default: one per available core (at most 8), or 1 without worker threads. */
export const defaultThreads = (): number => {
  const m = nodeModules();
  return m === undefined ? 1 : Math.max(1, Math.min(MAX_WORKERS + 1, m.os.availableParallelism()));
};

const viewType = (v: TypedArray): number => {
  const t = VIEW_TYPES.findIndex((c) => v instanceof c);
  if (t < 0) throw new Error(`thread pool: unsupported operand ${v.constructor.name}`);
  return t;
};

const decoder = new TextDecoder();

/** A pool of `opts.size` workers, or undefined where worker threads are unavailable. */
export const createPool = (opts: PoolOptions): ThreadPool | undefined => {
  const m = nodeModules();
  if (m === undefined || opts.size < 1) return undefined;
  const size = Math.min(opts.size, MAX_CHUNKS);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ctlBuffer = new SharedArrayBuffer(CTL_BYTES);
  const ctl = new Int32Array(ctlBuffer);
  Atomics.store(ctl, TICKET, CLOSED);
  let alive = true;
  let failure: Error | undefined;
  // One channel per worker carries the shared buffers of the jobs' operands (see `slotOf`).
  const ports: NodeWorkerThreads.MessagePort[] = [];
  const workers = Array.from({ length: size }, (_, index) => {
    const { port1, port2 } = new m.wt.MessageChannel();
    port1.unref();
    ports.push(port1);
    const w = new m.wt.Worker(WORKER, {
      eval: true,
      name: `loom-cpu-${index}`,
      workerData: { ctlBuffer, port: port2, index, source: opts.source, data: opts.data },
      transferList: [port2],
    });
    w.unref();
    w.on("error", (e) => (failure ??= e));
    // A worker whose tasks failed to compile exits; the pool then stays, throwing why.
    w.on("exit", () => {
      if (Atomics.load(ctl, BROKEN) === 0) alive = false;
    });
    return w;
  });

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
      for (const p of ports) p.postMessage({ slot: s, buffer: buf });
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
    for (const w of workers) void w.terminate();
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
