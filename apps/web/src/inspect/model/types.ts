/**
 * The inspection data model: everything the inspector shows about one compiled graph, as
 * plain JSON. `loom inspect --json` prints it and `--format html` inlines it; the web app
 * builds it in the page. Version it when a field changes meaning.
 */

import type { TrainingSetup } from "./setup";

/** The version of the JSON form (bumped when a field changes meaning). */
export const INSPECTION_VERSION = 2;

/** What was inspected: a model, forward or training step, its input and batch, the profiling backend. */
export interface InspectionSubject {
  readonly model: string;
  readonly train: boolean;
  /** One example's shape (`[C, H, W]`). */
  readonly input: readonly number[];
  readonly batch: number;
  /** How the model is trained, when it is the web app's model in training. */
  readonly setup?: TrainingSetup;
  /** The backend kernel times were measured on, when a profiling run was made. */
  readonly backend?: string;
}

/** One pipeline stage: its counts and, in words, what it removed or merged. */
export interface StageRow {
  readonly name: string;
  readonly kind: "graph" | "plan";
  readonly nodes: number;
  /** Kernels of the stage's plan, or the kernels the stage's graph would need unfused. */
  readonly kernels: number;
  /** What changed against the stage before (`-102 nodes: mul -40, broadcast -31`). */
  readonly changes: readonly string[];
  /** Node count per op in the stage's graph (graph stages only). */
  readonly ops?: Readonly<Record<string, number>>;
}

/** One node of the lowered graph, numbered in topological order. */
export interface GraphNode {
  readonly id: number;
  readonly op: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
  readonly inputs: readonly number[];
  /** The layer it came from (`layer1.0.conv1`), when known. */
  readonly path?: string;
  /** The graph input's or output's name. */
  readonly name?: string;
  /** The kernel that computes it (absent for graph inputs and for constants that live in buffers). */
  readonly kernel?: number;
}

/** A buffer a kernel reads or writes. */
export interface KernelIo {
  readonly buffer: number;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly bytes: number;
}

/** One kernel of the final plan. */
export interface KernelInfo {
  readonly id: number;
  /** `expr`, or the library call's kind (`conv2d`, `matmul`). */
  readonly kind: string;
  readonly nodes: readonly number[];
  readonly layers: readonly string[];
  /** The kernel-IR expression (a library kernel's epilogue, if any). */
  readonly expr?: string;
  /** The generated JavaScript (a library kernel's epilogue, if any). */
  readonly js?: string;
  /** The fragment shader the WebGL backend runs. */
  readonly glsl?: string;
  readonly inputs: readonly KernelIo[];
  readonly output: KernelIo;
  /** Measured milliseconds per run on the subject's backend. */
  readonly ms?: number;
}

/** One buffer on the memory timeline. */
export interface MemoryBuffer {
  readonly id: number;
  readonly kind: "input" | "constant" | "temp";
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly bytes: number;
  /** Byte offset in the arena; absent for buffers outside it (inputs, outputs). */
  readonly offset?: number;
  /** First and last kernel step it is live (-1 before the first kernel, K after the last). */
  readonly start: number;
  readonly end: number;
  /** The kernel writing it reuses an input's bytes (an in-place write). */
  readonly inPlaceOf?: number;
  /** A graph input's or output's name. */
  readonly name?: string;
}

/** The memory plan: the arena over the kernel steps. */
export interface MemoryPlan {
  readonly steps: number;
  readonly peakBytes: number;
  readonly lowerBoundBytes: number;
  readonly noReuseBytes: number;
  readonly inPlace: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly buffers: readonly MemoryBuffer[];
}

/** One row of the per-layer summary (`summarize`). */
export interface SummaryRow {
  readonly name: string;
  readonly outputShape: readonly (number | string)[];
  readonly params: number;
  readonly macs: number;
}

/** The graph a graph stage left (traced, shapes inferred, simplified), numbered in topological order. */
export interface StageGraph {
  readonly stage: string;
  /** Its nodes; none has a kernel yet. */
  readonly nodes: readonly GraphNode[];
}

/** Everything the inspector shows. */
export interface Inspection {
  readonly version: number;
  readonly subject: InspectionSubject;
  readonly stages: readonly StageRow[];
  /** The lowered graph: what the plan stages' kernels compute. */
  readonly graph: {
    readonly nodes: readonly GraphNode[];
  };
  /** Each graph stage's graph, in pipeline order (the plan stages draw `graph`). */
  readonly stageGraphs: readonly StageGraph[];
  readonly kernels: readonly KernelInfo[];
  readonly memory?: MemoryPlan;
  readonly summary: {
    readonly params: number;
    readonly macs: number;
    readonly layers: readonly SummaryRow[];
  };
}
