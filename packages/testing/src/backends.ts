import { afterAll, describe } from "vitest";
import type { Backend } from "@loom/graph";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import { webglBackend } from "@loom/backend-webgl";

/** Where a backend's suite runs: the node project or the browser (Chromium) project of vitest. */
export type Runtime = "node" | "browser";

/** A backend under test: how to make one, where it runs, and what it computes in. */
export interface BackendCase {
  readonly name: string;
  readonly make: () => Backend;
  readonly runtime: Runtime;
  /** Whether it computes float64 (the CPU backends); the others compute float32 only. */
  readonly float64: boolean;
  /**
   * The optimisation switches it exercises beyond compile's default (fusion with and without
   * an arena, folding and epilogues off), checked by the random fused-program property; a
   * backend too slow to compile every program four times lists none.
   */
  readonly variants: boolean;
}

/**
 * Every backend the shared suites run on. A new backend joins every suite (ops, random fused
 * programs, optimizers, training steps) by adding one line here.
 */
export const BACKENDS = {
  reference: {
    name: "reference",
    make: referenceBackend,
    runtime: "node",
    float64: true,
    variants: true,
  },
  cpu: {
    name: "cpu",
    make: () => cpuBackend({ threads: 1 }),
    runtime: "node",
    float64: true,
    variants: true,
  },
  "cpu-threads": {
    name: "cpu-threads",
    make: () => cpuBackend(),
    runtime: "node",
    float64: true,
    variants: true,
  },
  // The JS library kernels (threaded), as where WebAssembly SIMD is missing: "cpu" and
  // "cpu-threads" run matmul and the convolutions in WebAssembly.
  "cpu-js": {
    name: "cpu-js",
    make: () => cpuBackend({ wasm: false }),
    runtime: "node",
    float64: true,
    variants: true,
  },
  webgl: {
    name: "webgl",
    make: () => webglBackend(),
    runtime: "browser",
    float64: false,
    variants: false,
  },
} as const satisfies Record<string, BackendCase>;

/** The name of a backend under test. */
export type BackendName = keyof typeof BACKENDS;

/** Every backend, for suites that run on all of them. */
export const ALL_BACKENDS = Object.keys(BACKENDS) as readonly BackendName[];

/** What a suite gets: the case, and its backend made once per suite (and disposed after it). */
export interface BackendUnderTest extends BackendCase {
  /** The suite's backend instance, made on first use inside a test. */
  readonly backend: () => Backend;
}

/** The runtime this test file runs in: vitest's browser mode has a DOM, Node has none. */
export const currentRuntime = (): Runtime => (typeof document === "undefined" ? "node" : "browser");

/**
 * Runs `suite` once per backend of `names`, each in a `describe` named after the backend (as
 * `describe.each` would). A backend of the other runtime is registered as skipped, so the node
 * project runs the CPU backends and the browser project runs WebGL from the same file.
 */
export const describeBackends = (
  names: readonly BackendName[],
  suite: (b: BackendUnderTest) => void,
): void => {
  const here = currentRuntime();
  for (const name of names) {
    const c: BackendCase = BACKENDS[name];
    const run = c.runtime === here ? describe : describe.skip;
    run(name, () => {
      // Made lazily so that collecting a skipped suite never touches a runtime it lacks.
      const cell: { backend?: Backend } = {};
      const backend = () => (cell.backend ??= c.make());
      suite({ ...c, backend });
      afterAll(() => cell.backend?.dispose());
    });
  }
};

/** The backends that compute float64, for suites that check float64 values (the CPU ones). */
export const FLOAT64_BACKENDS = ALL_BACKENDS.filter((n) => BACKENDS[n].float64);
