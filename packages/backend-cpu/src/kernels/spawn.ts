import type * as NodeWorkerThreads from "node:worker_threads";
import type * as NodeOs from "node:os";
import { workerProgram } from "./worker-program";

/**
 * Where the pool's workers come from: Node's worker_threads (from `process.getBuiltinModule`,
 * no import, so browser bundles never see it), or a browser's Web Workers when the pool's
 * caller is itself a worker (only a worker may block in `Atomics.wait` at the join) of a
 * cross-origin isolated page (SharedArrayBuffer) with `Atomics.waitAsync`. Elsewhere there is
 * no platform and the kernels run on one thread.
 */

/** What a worker is started with (its program reads these names). */
export interface WorkerInit {
  readonly ctlBuffer: SharedArrayBuffer;
  readonly index: number;
  readonly source: string;
  readonly data: unknown;
}

/** How a worker reports trouble to its pool. */
export interface WorkerEvents {
  /** An uncaught error in the worker. */
  error(e: Error): void;
  /** The worker stopped (Node only). */
  exit(): void;
}

/** A started worker: give it a shared buffer for a slot, or stop it. */
export interface PoolWorker {
  post(slot: number, buffer: SharedArrayBuffer): void;
  terminate(): void;
}

/** A runtime that can run the pool's workers. */
export interface Platform {
  /** Logical cores. */
  readonly cores: number;
  /** Starts worker `init.index`. */
  spawn(init: WorkerInit, on: WorkerEvents): PoolWorker;
  /** Frees what the workers shared (after they are terminated). */
  close(): void;
}

type WorkerThreads = typeof NodeWorkerThreads;

/** worker_threads and os when this runtime has them (Node 20.16+). */
const nodeModules = (): { wt: WorkerThreads; os: typeof NodeOs } | undefined => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const get = proc?.getBuiltinModule;
  if (typeof get !== "function") return undefined;
  const wt = get.call(proc, "node:worker_threads") as WorkerThreads | undefined;
  const os = get.call(proc, "node:os") as typeof NodeOs | undefined;
  return wt?.Worker === undefined || os === undefined ? undefined : { wt, os };
};

const nodePlatform = ({ wt, os }: { wt: WorkerThreads; os: typeof NodeOs }): Platform => {
  const program = workerProgram(false);
  return {
    cores: os.availableParallelism(),
    spawn: (init, on) => {
      // A channel per worker carries the jobs' shared buffers, read without yielding.
      const { port1, port2 } = new wt.MessageChannel();
      port1.unref();
      const w = new wt.Worker(program, {
        eval: true,
        name: `loom-cpu-${init.index}`,
        workerData: { ...init, port: port2 },
        transferList: [port2],
      });
      w.unref();
      w.on("error", on.error);
      w.on("exit", on.exit);
      return {
        post: (slot, buffer) => port1.postMessage({ slot, buffer }),
        terminate: () => void w.terminate(),
      };
    },
    close: () => undefined,
  };
};

/** The browser's globals the pool needs, where they all exist. */
const browserGlobals = () => {
  const g = globalThis as {
    crossOriginIsolated?: boolean;
    WorkerGlobalScope?: unknown;
    navigator?: { hardwareConcurrency?: number };
  };
  const ok =
    g.crossOriginIsolated === true &&
    g.WorkerGlobalScope !== undefined &&
    typeof Worker === "function" &&
    typeof Blob === "function" &&
    typeof (Atomics as { waitAsync?: unknown }).waitAsync === "function";
  return ok ? { cores: g.navigator?.hardwareConcurrency ?? 1 } : undefined;
};

const browserPlatform = (cores: number): Platform => {
  const url = URL.createObjectURL(new Blob([workerProgram(true)], { type: "text/javascript" }));
  return {
    cores,
    spawn: (init, on) => {
      const w = new Worker(url, { name: `loom-cpu-${init.index}` });
      w.onerror = (e) => on.error(new Error(e.message));
      w.postMessage(init);
      return {
        post: (slot, buffer) => w.postMessage({ slot, buffer }),
        terminate: () => w.terminate(),
      };
    },
    close: () => URL.revokeObjectURL(url),
  };
};

/** Logical cores where the pool can run here, or undefined where it cannot. */
export const platformCores = (): number | undefined => {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return undefined;
  return nodeModules()?.os.availableParallelism() ?? browserGlobals()?.cores;
};

/** The platform to start a pool's workers on, or undefined where there is none. */
export const platform = (): Platform | undefined => {
  if (platformCores() === undefined) return undefined;
  const node = nodeModules();
  if (node !== undefined) return nodePlatform(node);
  const browser = browserGlobals();
  return browser === undefined ? undefined : browserPlatform(browser.cores);
};
