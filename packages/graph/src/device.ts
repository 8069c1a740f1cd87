import type { DType } from "./dtype";
import type { Executable, HostTensor } from "./backend";
import { LoomError } from "./error";

/**
 * A tensor that lives where a backend computes (a WebGL texture; on the CPU, host memory): an
 * opaque handle that a resident run takes as a feed without uploading it and returns without
 * reading it back. The caller owns every handle it is given and frees it with `dispose`
 * (idempotent); `read` copies it to the host without blocking the page.
 */
export interface DeviceTensor {
  /** Tells device tensors from host tensors (which have `data`). */
  readonly device: true;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The name of the backend holding it ("webgl", "cpu"). */
  readonly backend: string;
  /** Copies the values to the host (asynchronously: a GPU read never stalls the page). */
  readonly read: () => Promise<HostTensor>;
  /** Frees the device memory; the handle cannot be read or fed afterwards. Idempotent. */
  readonly dispose: () => void;
  /** Whether `dispose` was called. */
  readonly isDisposed: () => boolean;
}

/** What a resident run takes: host tensors (uploaded for this run) or device tensors (used where they are). */
export type RunValue = HostTensor | DeviceTensor;

/** A run that takes host or device feeds and returns every output as a device tensor the caller owns. */
export type ResidentRun = (
  feeds: Readonly<Record<string, RunValue>>,
) => Promise<Record<string, DeviceTensor>>;

/** True for device tensors. */
export const isDeviceTensor = (x: unknown): x is DeviceTensor =>
  typeof x === "object" && x !== null && (x as DeviceTensor).device === true;

/** The LoomError for a handle used after `dispose`. */
export const disposedTensor = (op: string, what: string): LoomError =>
  new LoomError(
    "invalid_argument",
    op,
    `${what} is a disposed device tensor; keep a handle until its last use (dispose the old values after the run that replaces them)`,
  );

/**
 * A device tensor backed by host memory: the CPU backend's (its "device" is the host). The
 * values are never copied on the way in or out of a run; `read` hands out a copy, so the
 * caller may write to what it reads.
 */
export const hostDeviceTensor = (t: HostTensor, backend: string): DeviceTensor => {
  let held: HostTensor | undefined = t;
  const hostOf = (op: string): HostTensor => {
    if (held === undefined) throw disposedTensor(op, `a ${backend} tensor`);
    return held;
  };
  const handle: DeviceTensor & { readonly host: (op: string) => HostTensor } = {
    device: true,
    shape: t.shape,
    dtype: t.dtype,
    backend,
    read: async () => {
      const h = hostOf("read");
      return { data: h.data.slice(), shape: h.shape, dtype: h.dtype };
    },
    dispose: () => {
      held = undefined;
    },
    isDisposed: () => held === undefined,
    host: hostOf,
  };
  return handle;
};

/** The host values behind a host-backed device tensor, or undefined for another kind of handle. */
const hostBehind = (t: DeviceTensor, op: string): HostTensor | undefined =>
  "host" in t && typeof t.host === "function"
    ? (t.host as (op: string) => HostTensor)(op)
    : undefined;

/**
 * A resident run for a backend whose device is the host (the CPU backend, the reference
 * interpreter, any executable without one): device feeds are used in place, outputs wrapped.
 * A device tensor of another backend (a WebGL texture) is refused: read it to the host first.
 */
export const hostResidentRun =
  (exe: Executable, backend: string): ResidentRun =>
  async (feeds) => {
    const host = Object.fromEntries(
      Object.entries(feeds).map(([name, v]) => {
        if (!isDeviceTensor(v)) return [name, v];
        const h = hostBehind(v, "run");
        if (h === undefined)
          throw new LoomError(
            "invalid_argument",
            "run",
            `input "${name}" is a ${v.backend} device tensor, fed to a ${backend} executable; read it to the host first (await t.read())`,
            [v.shape],
          );
        return [name, h];
      }),
    );
    const out = await exe.run(host);
    return Object.fromEntries(
      Object.entries(out).map(([name, t]) => [name, hostDeviceTensor(t, backend)]),
    );
  };
