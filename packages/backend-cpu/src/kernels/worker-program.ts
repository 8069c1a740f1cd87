/**
 * The pool's shared control block (its layout) and the program its workers run, for Node's
 * worker_threads or a browser's Web Workers (threads.ts starts them). The program is a fixed
 * string (no transpiler touches it), which evaluates the tasks' source inside a try so that
 * even a source that fails to compile is reported, not a hang. In a browser a worker cannot
 * take a message while it blocks, so it waits with `Atomics.waitAsync` and receives the jobs'
 * buffers through its message events; in Node it blocks in `Atomics.wait` and receives them
 * with `receiveMessageOnPort`.
 */

/** Largest number of int32 parameters of a job. */
export const MAX_PARAMS = 32;
/** Largest number of operands of a job. */
export const MAX_VIEWS = 8;
/** Most chunks in one job (the chunk counter shares a word with the job's generation). */
export const MAX_CHUNKS = 0xfffe;
// The control block, an Int32Array over one SharedArrayBuffer. TICKET holds the job's
// generation (high 16 bits) and the next unclaimed chunk (low 16 bits): a thread claims a chunk
// with a compare-exchange that fails if the job changed, so a worker that wakes late can never
// take a chunk of a job it did not read. Between jobs the main thread closes the ticket (chunk
// 0xffff) before it rewrites the job, and rewrites nothing while a claimed chunk is unfinished.
export const TICKET = 0;
export const COUNT = 1;
export const DONE = 2;
export const FAILED = 3;
export const KIND = 4;
export const PARTICIPANTS = 5;
export const VERSION = 6;
export const NVIEWS = 7;
export const READY = 8;
export const BROKEN = 9;
export const ERRLEN = 10;
/** Always zero: a worker sleeps on it for a millisecond while a message is in flight. */
export const IDLE = 11;
export const WORKER_CHUNKS = 12;
/** Set by the one failing thread that gets to write its message (before it sets FAILED or BROKEN). */
export const REPORTED = 13;
export const VIEWS = 16;
export const PARAMS = VIEWS + 4 * MAX_VIEWS;
export const MSG = 128;
export const MSG_BYTES = 1024;
export const CTL_BYTES = MSG * 4 + MSG_BYTES;

export const CLOSED = 0xffff;

/** View classes by the code a job stores for them (the worker program lists them in this order). */
export const VIEW_TYPES = [Float32Array, Float64Array, Int32Array, Uint8Array] as const;

/** Slots of shared buffers the workers hold; the least recently used is replaced. */
export const SLOTS = 8;

/** The worker's program: for a browser's Web Workers if `browser`, else for Node's worker_threads. */
export const workerProgram = (browser: boolean): string => {
  /** Sleeps on `ctl[at]` while it holds `args` (then an optional timeout). */
  const wait = (at: number, args: string) =>
    browser
      ? `await Atomics.waitAsync(ctl, ${at}, ${args}).value`
      : `Atomics.wait(ctl, ${at}, ${args})`;
  // The first message starts a browser worker; later ones carry buffers (`{ slot, buffer }`).
  const boot = browser
    ? `const inbox = [];
self.onmessage = (first) => {
  self.onmessage = (m) => { inbox.push(m.data); };
  void start(first.data, () => inbox.shift());
};`
    : `const { workerData, receiveMessageOnPort } = process.getBuiltinModule("node:worker_threads");
start(workerData, () => {
  const m = receiveMessageOnPort(workerData.port);
  return m === undefined ? undefined : m.message;
});`;
  return `"use strict";
const encoder = new TextEncoder();
const CTORS = [Float32Array, Float64Array, Int32Array, Uint8Array];
const start = ${browser ? "async " : ""}({ ctlBuffer, index, source, data }, receive) => {
  const ctl = new Int32Array(ctlBuffer);
  // The message is written before the flag is raised, so whoever sees the flag reads it whole.
  const fail = (e, flag) => {
    if (Atomics.compareExchange(ctl, ${REPORTED}, 0, 1) === 0) {
      const text = "worker " + index + ": " + (e && e.stack ? e.stack : String(e));
      const bytes = new Uint8Array(ctlBuffer, ${MSG * 4}, ${MSG_BYTES});
      Atomics.store(ctl, ${ERRLEN}, encoder.encodeInto(text, bytes).written);
    }
    Atomics.store(ctl, flag, 1);
  };
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
      ${wait(TICKET, "t")};
      continue;
    }
    if (Atomics.compareExchange(ctl, ${TICKET}, t, t + 1) !== t) continue;
    // The chunk is ours: the job cannot change until we count it done.
    if (gen !== viewsGen) {
      const need = Atomics.load(ctl, ${VERSION});
      while (version < need) {
        const m = receive();
        if (m === undefined) { ${wait(IDLE, "0, 1")}; continue; }
        slots[m.slot] = m.buffer;
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
${boot}
`;
};
