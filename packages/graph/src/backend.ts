import type { DType, TypedArray } from "./dtype";
import type { ExecutableCache } from "./executable-cache";
import type { Plan } from "./plan";
import type { DeviceTensor, ResidentRun } from "./device";

/** A tensor value crossing the API edge: its data, shape and dtype. */
export interface HostTensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A compiled plan, run again and again with new feeds. */
export interface Executable {
  /** Runs the plan on the feeds (by input name) and resolves with the outputs (by output name). */
  readonly run: (
    feeds: Readonly<Record<string, HostTensor>>,
  ) => Promise<Record<string, HostTensor>>;
  /**
   * Runs the plan on host or device feeds and returns every output as a device tensor the
   * caller owns (nothing is read back): parameters stay on the GPU between training steps.
   * Without it, `compile`'s `runResident` wraps `run` with host-backed handles.
   */
  readonly runResident?: ResidentRun;
  /** Frees what this executable holds (buffers, textures). */
  readonly dispose: () => void;
}

/** A backend turns plans into executables. */
export interface Backend {
  readonly name: string;
  /**
   * Whether the memory planner may let a kernel write over an input dying there (default
   * true). WebGL cannot: a shader cannot read and render to one texture.
   */
  readonly inPlace?: boolean;
  /** Copies a host tensor to the device, as a handle resident runs take without uploading it again. */
  readonly upload?: (t: HostTensor) => DeviceTensor;
  /** Turns a plan into an executable. */
  readonly compile: (plan: Plan) => Executable;
  /**
   * The backend's executables, shared by `compile` between structurally equal graphs; its
   * `dispose` empties it. Without one, each compiled function keeps its own.
   */
  readonly executables?: ExecutableCache;
  /** Frees everything the backend holds: its cached executables, and its GPU or thread resources. */
  readonly dispose: () => void;
}
