import type { TypedArray } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { TASKS, TASKS_SOURCE } from "./tasks";
import type { JoinTimes, ThreadPool } from "./threads";
import { createPool, defaultThreads } from "./threads";
import type { WasmShared } from "./wasm/wasm-tasks";
import { createWasmShared, mainWasmGemmTask, WASM_GEMM_TASK_SOURCE } from "./wasm/wasm-tasks";

/**
 * The pool that runs the kernels' chunk tasks (tasks.ts), owned by a `cpuBackend` (or a kernel
 * set), and the helpers the kernels share to use it: when to split, and shared scratch for
 * operands outside shared memory.
 */

/**
 * Flops from which a kernel call is split between threads. Waking a worker and copying the
 * operands into shared memory cost tens of microseconds; on two cores the split gained 1.3-2x
 * from 160^3 (8 MFLOP) up, but only 10-15% on LeNet-5's fully connected layers (64x400x120, 6
 * MFLOP), which stay on one thread.
 */
export const THREAD_FLOPS = 1 << 23;

/** Options of the kernels that can use threads. */
export interface ThreadOptions {
  /** Threads including the calling one (default: `defaultThreads()`); 1 never uses workers. */
  readonly threads?: number;
  /** Flops from which a call uses threads (default `THREAD_FLOPS`; tests lower it). */
  readonly threadFlops?: number;
  /** When to leave the workers out (default: the pool's `Backoff`; tests pass their own). */
  readonly backoff?: BackoffPolicy;
  /**
   * The workers to split calls between, owned (and closed) by whoever makes the kernels: a
   * `cpuBackend`, a test file, the bench. Required, so that no kernel starts a pool nobody closes.
   */
  readonly pool: KernelPool;
}

/**
 * The thread options with their defaults filled in; a thread count that is not a positive
 * integer is a LoomError (the count includes the calling thread, so 1 means no workers).
 */
export const resolveThreading = (opts: ThreadOptions) => {
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new LoomError(
      "invalid_argument",
      "cpuBackend",
      `threads must be a positive integer (1 keeps every kernel on the calling thread), got ${threads}`,
    );
  }
  const pools = opts.pool;
  return {
    threads,
    threadFlops: opts.threadFlops ?? THREAD_FLOPS,
    backoff: opts.backoff ?? pools.backoff,
    pools,
  };
};

/** A policy that keeps calls on one thread while splitting them does not pay. */
export interface BackoffPolicy {
  /** Whether this call should stay on one thread. */
  skipping(): boolean;
  /** Records how a threaded call's join went. */
  note(times: JoinTimes): void;
}

/** The task kind of the WebAssembly GEMM in a pool with a shared memory (after the kernels' `TASKS`). */
export const WASM_TASK = TASKS.length;

/** The kernels' workers as a value its owner (a `cpuBackend`) holds and closes. */
export interface KernelPool {
  /**
   * The pool (`defaultThreads() - 1` workers, started on first call), or undefined where worker
   * threads are unavailable or the machine has one core. A pool terminated after a failure is
   * replaced by a fresh one. Where wasm threads are available its workers also run the
   * WebAssembly GEMM on the pool's shared memory (`wasm()`), as task `WASM_TASK`.
   */
  get(): ThreadPool | undefined;
  /**
   * The pool's shared WebAssembly memory and modules (made once), or undefined where
   * wasm threads are unavailable. Every kernel set on this pool computes in this one memory:
   * its calls are synchronous, so they never overlap.
   */
  wasm(): WasmShared | undefined;
  /** Stops the workers; a later `get` starts new ones. */
  close(): void;
  /** When to leave these workers out, shared by every kernel that uses them. */
  readonly backoff: BackoffPolicy;
}

/** A kernel pool, started lazily; its owner calls `close()` (the backend's `dispose`). */
export const kernelPool = (): KernelPool => {
  let pool: ThreadPool | undefined;
  // null: not made yet (the memory is made only for a kernel set that runs wasm on threads).
  // null: not made yet. Made before the first workers start, so they always have it and a
  // pool is never replaced to add it (its users may hold it).
  let wasm: WasmShared | undefined | null = null;
  const shared = () => (wasm === null ? (wasm = createWasmShared()) : wasm);
  return {
    get: () => {
      if (pool?.alive === true) return pool;
      const size = defaultThreads() - 1;
      if (size < 1) return undefined;
      const w = shared();
      pool = createPool(
        w === undefined
          ? { tasks: TASKS, source: TASKS_SOURCE, size }
          : {
              tasks: [...TASKS, mainWasmGemmTask(w)],
              source: `[...${TASKS_SOURCE}, ${WASM_GEMM_TASK_SOURCE}]`,
              data: w,
              size,
            },
      );
      return pool;
    },
    wasm: shared,
    close: () => {
      pool?.terminate();
      pool = undefined;
    },
    backoff: new Backoff(),
  };
};

/** The pool to split a call of `flops` flops with, given the kernel's thread count and threshold. */
export const poolFor = (
  pools: KernelPool,
  threads: number,
  flops: number,
  threshold: number,
): ThreadPool | undefined => (threads > 1 && flops >= threshold ? pools.get() : undefined);

/**
 * When to leave the workers out. On a machine whose cores other processes hold, a worker
 * descheduled in the middle of its chunk keeps the main thread waiting at the join (LeNet-5's
 * filter gradient took 3.6x its one-thread time with one core busy elsewhere). So after
 * `STRIKES` calls in a row that waited longer than half their own work, the next calls run on
 * one thread (8 of them, doubling up to 256 while waits persist), and a call that waits little
 * resets the count. Results do not change: the chunks are the same whichever thread runs them.
 */
export class Backoff implements BackoffPolicy {
  /** Calls run on one thread after the first run of strikes. */
  static readonly FIRST = 8;
  /** Most calls run on one thread between two tries of the workers. */
  static readonly LAST = 256;
  /** Slow joins in a row that start a back-off. */
  static readonly STRIKES = 2;

  private strikes = 0;
  private skip = 0;
  private next = Backoff.FIRST;

  skipping(): boolean {
    if (this.skip === 0) return false;
    this.skip--;
    return true;
  }

  note({ workMs, waitMs }: JoinTimes): void {
    if (waitMs <= 0.5 * workMs + 0.2) {
      this.strikes = 0;
      this.next = Backoff.FIRST;
    } else if (++this.strikes >= Backoff.STRIKES) {
      this.strikes = 0;
      this.skip = this.next;
      this.next = Math.min(2 * this.next, Backoff.LAST);
    }
  }
}

/**
 * Runs chunks `0..count-1` of task `kind` over the operands `[in0, in1, out]`: split between
 * this thread and `threads - 1` workers of `pool` when given (and not backing off), through
 * shared copies of the operands that are not in shared memory (the output copied back after);
 * else in order on this thread over the operands as they are. The task must overwrite all of
 * `out`.
 */
export const runOnOperands = (
  pool: ThreadPool | undefined,
  threads: number,
  kind: number,
  params: Int32Array,
  [in0, in1, out]: readonly [TypedArray, TypedArray, TypedArray],
  count: number,
  scratch: SharedScratch,
  policy: BackoffPolicy,
): void => {
  if (count === 0) return;
  if (pool === undefined || policy.skipping()) {
    const task = TASKS[kind]!;
    for (let c = 0; c < count; c++) task(params, [in0, in1, out], c);
    return;
  }
  const so = out.buffer instanceof SharedArrayBuffer ? out : scratch.view(2, out, out.length);
  const views = [scratch.shared(0, in0), scratch.shared(1, in1), so];
  policy.note(pool.run(kind, params, views, count, threads - 1));
  if (so !== out) out.set(so as never);
};

/**
 * Grow-only shared scratch for operands that are not in shared memory: `view(i, like, n)` is
 * an array of `like`'s class over the first `n` elements of scratch buffer `i`, allocated once
 * and reallocated only to grow (so the workers receive each buffer once).
 */
export class SharedScratch {
  private bufs: SharedArrayBuffer[] = [];

  /** An array of the class of `like` with `n` elements in scratch buffer `i`. */
  view<T extends TypedArray>(i: number, like: T, n: number): T {
    const ctor = like.constructor as new (b: SharedArrayBuffer, o: number, n: number) => T;
    const bytes = n * like.BYTES_PER_ELEMENT;
    const cur = this.bufs[i];
    if (cur === undefined || cur.byteLength < bytes) {
      const grown = Math.max(bytes, Math.ceil((cur?.byteLength ?? 0) * 1.5));
      this.bufs[i] = new SharedArrayBuffer(Math.ceil(grown / 8) * 8);
    }
    return new ctor(this.bufs[i]!, 0, n);
  }

  /** `x` itself when it is in shared memory, else a copy of it in scratch buffer `i`. */
  shared<T extends TypedArray>(i: number, x: T): T {
    if (x.buffer instanceof SharedArrayBuffer) return x;
    const v = this.view(i, x, x.length);
    v.set(x as never);
    return v;
  }
}
