import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ChunkTask, ThreadPool } from "./threads";
import { createPool, defaultThreads, threadsAvailable } from "./threads";

/**
 * Tasks for the tests, self-contained like the kernels' so that workers can evaluate them. v[0]
 * is an Int32Array: v[0][0] a flag the first worker chunk raises, then one word per chunk.
 */
const testTasks = (): ChunkTask[] => {
  const wt = process.getBuiltinModule("node:worker_threads");
  const inWorker = !wt.isMainThread;
  /** Raises the flag (in a worker) or waits up to 10 s for a worker to raise it (main thread). */
  const meet = (flag: Int32Array) => {
    if (inWorker) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    } else Atomics.wait(flag, 0, 0, 10_000);
  };
  const record: ChunkTask = (p, v, chunk) => {
    const out = v[0] as Int32Array;
    // Which thread ran the chunk, and p[0] to show the parameters arrive.
    out[1 + chunk] = (inWorker ? 1000 : 0) + p[0] + chunk;
  };
  const throwInWorker: ChunkTask = (_p, v, chunk) => {
    meet(v[0] as Int32Array);
    if (inWorker) throw new Error(`boom in chunk ${chunk}`);
  };
  const hangInWorker: ChunkTask = (_p, v) => {
    const flag = v[0] as Int32Array;
    meet(flag);
    if (inWorker) Atomics.wait(flag, 1, 0);
  };
  const throwHere: ChunkTask = () => {
    throw new Error(inWorker ? "boom in a worker" : "boom on the main thread");
  };
  return [record, throwInWorker, hangInWorker, throwHere];
};

const shared = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

const pools: ThreadPool[] = [];
const pool = (size: number, timeoutMs?: number, source = `(${testTasks.toString()})()`) => {
  const p = createPool({ tasks: testTasks(), source, size, timeoutMs });
  if (p === undefined) throw new Error("worker threads unavailable");
  pools.push(p);
  return p;
};

afterEach(() => {
  for (const p of pools.splice(0)) p.terminate();
});

describe.runIf(threadsAvailable())("thread pool", () => {
  it("runs every chunk exactly once, on the main thread and the workers", () => {
    const p = pool(2);
    p.ready();
    const count = 2000;
    const out = shared(1 + count);
    let byWorkers = 0;
    for (let job = 0; job < 20; job++) {
      out.fill(-1);
      p.run(0, [job * 10_000], [out], count);
      for (let c = 0; c < count; c++) {
        const v = out[1 + c];
        const ran = v >= 1000 && v - 1000 === job * 10_000 + c ? "worker" : "main";
        if (ran === "worker") byWorkers++;
        else expect(v).toBe(job * 10_000 + c);
      }
    }
    // Dealing is dynamic, but over 40000 chunks the workers must have taken some.
    expect(byWorkers).toBeGreaterThan(0);
    expect(p.workerChunks).toBe(byWorkers);
  });

  it("runs on the main thread alone with 0 workers allowed", () => {
    const p = pool(1);
    p.ready();
    const out = shared(101);
    p.run(0, [7], [out], 100, 0);
    expect(Array.from(out.subarray(1))).toEqual(Array.from({ length: 100 }, (_, c) => 7 + c));
    expect(p.workerChunks).toBe(0);
    // No chunks at all is a job too.
    p.run(0, [7], [out], 0);
    expect(() => p.run(0, [7], [out], 0.5)).toThrow(/chunks/);
  });

  it("rebuilds views at their byte offset and keeps working after a new buffer", () => {
    const p = pool(1);
    p.ready();
    for (let round = 0; round < 12; round++) {
      // A fresh buffer every round: more than the pool's buffer slots, so some are replaced.
      const whole = shared(64);
      const view = whole.subarray(8 + round, 8 + round + 41);
      p.run(0, [round], [view], 40);
      expect(Array.from(view.subarray(1)).map((v) => v % 1000)).toEqual(
        Array.from({ length: 40 }, (_, c) => round + c),
      );
      expect(whole[7 + round]).toBe(0);
    }
  });

  it("throws a worker's error on the main thread", () => {
    const p = pool(1);
    p.ready();
    expect(() => p.run(1, [], [shared(2)], 2)).toThrow(/worker 0: Error: boom in chunk/);
    // The pool stays usable.
    const out = shared(5);
    p.run(0, [3], [out], 4);
    expect(Array.from(out.subarray(1)).map((v) => v % 1000)).toEqual([3, 4, 5, 6]);
  });

  it("rethrows the main thread's own error after the workers are done", () => {
    const p = pool(1);
    p.ready();
    expect(() => p.run(3, [], [shared(2)], 1, 0)).toThrow("boom on the main thread");
    const out = shared(3);
    p.run(0, [5], [out], 2);
    expect(Array.from(out.subarray(1)).map((v) => v % 1000)).toEqual([5, 6]);
  });

  it("throws instead of hanging when a worker stops making progress", () => {
    const p = pool(1, 300);
    p.ready();
    const t0 = performance.now();
    expect(() => p.run(2, [], [shared(2)], 2)).toThrow(/no chunk finished in 300 ms/);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(p.alive).toBe(false);
    expect(() => p.run(0, [], [shared(2)], 1)).toThrow(/terminated/);
  });

  it("throws when the workers cannot build their tasks", () => {
    const p = pool(1, undefined, "(() => { throw new Error('no tasks here'); })()");
    expect(() => p.ready()).toThrow(/no tasks here/);
    expect(() => p.run(0, [], [shared(2)], 1)).toThrow(/no tasks here/);
  });

  it("rejects operands outside shared memory", () => {
    const p = pool(1);
    expect(() => p.run(0, [], [new Int32Array(4)], 1)).toThrow(/SharedArrayBuffer/);
  });

  it("does not keep the process alive", () => {
    const url = new URL("./threads.ts", import.meta.url).href;
    // The child uses the workers, then falls off the end of its script: it must exit.
    const code = `
      import { createPool } from ${JSON.stringify(url)};
      const tasks = () => [(p, v, c) => { v[0][c] = 1; }];
      const pool = createPool({ tasks: tasks(), source: "(" + tasks + ")()", size: 1 });
      pool.ready();
      const out = new Int32Array(new SharedArrayBuffer(4 * 1000));
      // The main thread may claim every chunk of a run before a worker wakes: run until a
      // worker has taken one (bounded), then check the process still exits by itself.
      for (let i = 0; i < 5000 && (i < 50 || pool.workerChunks === 0); i++) pool.run(0, [], [out], 1000);
      console.log(pool.workerChunks > 0 ? "workers ran" : "main only", out.every((x) => x === 1));
    `;
    const root = fileURLToPath(new URL("../../../..", import.meta.url));
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", code],
      { cwd: root, timeout: 30_000, encoding: "utf8" },
    );
    expect(out.trim()).toBe("workers ran true");
  });
});

describe("without worker threads", () => {
  it("creates no pool and defaults to one thread", () => {
    const proc = process as { getBuiltinModule?: unknown };
    const saved = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(threadsAvailable()).toBe(false);
      expect(defaultThreads()).toBe(1);
      expect(createPool({ tasks: [], source: "[]", size: 2 })).toBeUndefined();
    } finally {
      proc.getBuiltinModule = saved;
    }
    expect(threadsAvailable()).toBe(true);
  });
});
