import * as tf from "@tensorflow/tfjs";
import type { HostTensor } from "@loom/graph";
import type { BenchCase, CaseData, ConvSpec, Impl, Runner, StepData, StepSpec } from "./cases";
import { CLASSES, convOutSize, dataOf, IMAGE_SHAPE, SkipCase } from "./cases";

/** The TensorFlow.js backends loom is compared with (webgl only in a browser). */
export type TfBackend = "cpu" | "wasm" | "webgl";

/** A 4-d array with the element at `[a, b, c, d]` of `shape` moved to the flat offset `to(a, b, c, d)`. */
const permute4 = (
  data: Float32Array,
  [d0, d1, d2, d3]: readonly number[],
  to: (a: number, b: number, c: number, d: number) => number,
): Float32Array => {
  const out = new Float32Array(data.length);
  let k = 0;
  for (let a = 0; a < d0!; a++)
    for (let b = 0; b < d1!; b++)
      for (let c = 0; c < d2!; c++) for (let d = 0; d < d3!; d++) out[to(a, b, c, d)] = data[k++]!;
  return out;
};

/** A NCHW (or any [N, C, H, W]-ordered) array in NHWC order, tfjs's native image layout. */
export const nchwToNhwc = (data: Float32Array, shape: readonly number[]): Float32Array => {
  const [, c, h, w] = shape as [number, number, number, number];
  return permute4(data, shape, (i, ch, y, x) => ((i * h + y) * w + x) * c + ch);
};

/** An OIHW conv weight (loom's, PyTorch's) in HWIO order (tfjs's filter layout). */
export const oihwToHwio = (data: Float32Array, shape: readonly number[]): Float32Array => {
  const [o, i, , w] = shape as [number, number, number, number];
  return permute4(data, shape, (a, b, y, x) => ((y * w + x) * i + b) * o + a);
};

const leaf = (tree: unknown, ...names: string[]): HostTensor =>
  names.reduce((t, n) => (t as Record<string, unknown>)[n], tree) as HostTensor;

const fromHost = (h: HostTensor, data: Float32Array = h.data as Float32Array, shape = h.shape) =>
  tf.variable(tf.tensor(data, [...shape], "float32"));

/** tfjs variables holding loom's initial parameters, converted to the layouts the tfjs model uses. */
const tfParams = (spec: StepSpec, d: StepData): Record<string, tf.Variable> => {
  const p = d.vars.params;
  const dense = (name: string, key: string) => ({
    [`${key}.w`]: fromHost(leaf(p, name, "w")),
    [`${key}.b`]: fromHost(leaf(p, name, "b")),
  });
  if (spec.model === "mlp") return { ...dense("fc1", "fc1"), ...dense("out", "out") };
  const conv = (name: string) => {
    const w = leaf(p, name, "w");
    const [o, i, kh, kw] = w.shape;
    return {
      [`${name}.w`]: fromHost(w, oihwToHwio(w.data as Float32Array, w.shape), [kh!, kw!, i!, o!]),
      [`${name}.b`]: fromHost(leaf(p, name, "b")),
    };
  };
  // fc1 reads the flattened [16, 5, 5] maps: loom flattens them as C,H,W, tfjs as H,W,C.
  const fc1 = leaf(p, "fc1", "w");
  const [units] = fc1.shape;
  return {
    ...conv("conv1"),
    ...conv("conv2"),
    "fc1.w": fromHost(fc1, nchwToNhwc(fc1.data as Float32Array, [units!, 16, 5, 5])),
    "fc1.b": fromHost(leaf(p, "fc1", "b")),
    ...dense("fc2", "fc2"),
    ...dense("fc3", "fc3"),
  };
};

const denseTf = (x: tf.Tensor2D, v: Record<string, tf.Variable>, name: string): tf.Tensor2D =>
  tf.add(tf.matMul(x, v[`${name}.w`] as tf.Tensor2D, false, true), v[`${name}.b`]!);

/** The forward pass of a step case's model in tfjs ops, NHWC for LeNet. */
const logitsTf = (spec: StepSpec, x: tf.Tensor, v: Record<string, tf.Variable>): tf.Tensor2D => {
  if (spec.model === "mlp") {
    return denseTf(tf.relu(denseTf(x as tf.Tensor2D, v, "fc1")), v, "out");
  }
  const block = (h: tf.Tensor4D, name: string, pad: "same" | "valid"): tf.Tensor4D => {
    const z = tf.add(tf.conv2d(h, v[`${name}.w`] as tf.Tensor4D, 1, pad), v[`${name}.b`]!);
    return tf.maxPool(tf.relu(z) as tf.Tensor4D, 2, 2, "valid");
  };
  const h = block(block(x as tf.Tensor4D, "conv1", "same"), "conv2", "valid");
  const flat = tf.reshape(h, [spec.batch, -1]) as tf.Tensor2D;
  return denseTf(tf.relu(denseTf(tf.relu(denseTf(flat, v, "fc1")), v, "fc2")), v, "fc3");
};

/**
 * The same SGD training step in tfjs: the forward pass, mean softmax cross-entropy against
 * one-hot labels, gradients of every variable and the update, via `optimizer.minimize`.
 */
export const tfStepRunner = (spec: StepSpec, data: CaseData): Runner => {
  const d = dataOf(data, "step");
  const v = tfParams(spec, d);
  const [c, h, w] = IMAGE_SHAPE;
  const x =
    spec.model === "mlp"
      ? tf.tensor2d(d.x, [spec.batch, c * h * w])
      : tf.tensor4d(nchwToNhwc(d.x, [spec.batch, c, h, w]), [spec.batch, h, w, c]);
  const labels = tf.tensor1d(d.labels, "int32");
  const optimizer = tf.train.sgd(spec.lr);
  const vars = Object.values(v);
  return {
    run: async () => {
      const cost = optimizer.minimize(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.cast(tf.oneHot(labels, CLASSES), "float32"),
            logitsTf(spec, x, v),
          ) as tf.Scalar,
        true,
        vars,
      )!;
      const loss = cost.dataSync()[0]!;
      cost.dispose();
      return loss;
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([x, labels, ...vars]);
    },
  };
};

/**
 * Every run a fresh tfjs backend (re-registered from its factory, so no compiled program is
 * cached) and one step: tfjs's first step, as loom's cold case.
 */
const tfColdRunner = (backend: TfBackend, spec: StepSpec, data: CaseData): Runner => ({
  run: async () => {
    const factory = tf.findBackendFactory(backend);
    if (factory === null) throw new Error(`bench: tfjs has no ${backend} backend factory`);
    tf.removeBackend(backend);
    tf.registerBackend(backend, factory);
    await useTfBackend(backend);
    const r = tfStepRunner(spec, data);
    try {
      return await r.run();
    } finally {
      r.dispose();
    }
  },
  dispose: () => {},
});

/** Runs `f` and reads its result back, so that the timed work includes the whole computation. */
const runner = (f: () => tf.Tensor, inputs: tf.Tensor[]): Runner => ({
  run: async () => {
    const y = f();
    y.dataSync();
    y.dispose();
    return undefined;
  },
  dispose: () => tf.dispose(inputs),
});

const convRunner = (s: ConvSpec, data: CaseData): Runner => {
  const { x, w, dy } = dataOf(data, "conv2d");
  const xt = tf.tensor4d(nchwToNhwc(x, [s.batch, s.inChannels, s.size, s.size]), [
    s.batch,
    s.size,
    s.size,
    s.inChannels,
  ]);
  const ws = [s.filters, s.inChannels, s.kernel, s.kernel];
  const wt = tf.tensor4d(oihwToHwio(w, ws), [s.kernel, s.kernel, s.inChannels, s.filters]);
  const o = convOutSize(s);
  if (s.grads) {
    const dyt = tf.tensor4d(nchwToNhwc(dy, [s.batch, s.filters, o, o]), [s.batch, o, o, s.filters]);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, s.padding), dyt)),
    );
    return {
      run: async () => {
        const outs = [tf.conv2d(xt, wt, 1, s.padding), ...grads([xt, wt])];
        for (const t of outs) t.dataSync();
        tf.dispose(outs);
        return undefined;
      },
      dispose: () => tf.dispose([xt, wt, dyt]),
    };
  }
  return runner(() => {
    const y = tf.conv2d(xt, wt, 1, s.padding);
    if (y.shape[1] !== o) throw new Error(`bench: tfjs conv gave ${y.shape}, expected side ${o}`);
    return y;
  }, [xt, wt]);
};

/** The kernels whose absence a case would only discover half-way through a training step. */
const neededKernels = (c: BenchCase): string[] =>
  c.spec.kind === "step" && c.spec.model === "lenet"
    ? ["Conv2DBackpropFilter", "Conv2DBackpropInput", "MaxPoolGrad"]
    : [];

const hasKernel = (name: string, backend: TfBackend): boolean => {
  try {
    return tf.getKernel(name, backend) !== undefined;
  } catch (_) {
    return false;
  }
};

/** Makes `name` tfjs's current backend (loading WASM on first use). */
export const useTfBackend = async (name: TfBackend): Promise<void> => {
  // Node only: the loader reads the .wasm files from disk (a module the browser page never loads).
  if (name === "wasm") await (await import("./tf-wasm-node")).loadWasm();
  if (!(await tf.setBackend(name))) throw new Error(`bench: tfjs backend ${name} failed to start`);
  await tf.ready();
};

/** A TensorFlow.js backend as a benchmark implementation (every case but loom's compile time). */
export const tfImpl = (backend: TfBackend): Impl => ({
  name: `tfjs-${backend}`,
  side: "peer",
  skip: (c: BenchCase) =>
    c.spec.kind === "compile" || (c.spec.kind === "step" && c.spec.model === "resnet20")
      ? "loom only"
      : c.spec.kind === "forward"
        ? "forward cases compare with onnxruntime-node"
        : undefined,
  timing: (t) => t,
  prepare: async (c, data) => {
    await useTfBackend(backend);
    const s = c.spec;
    const missing = neededKernels(c).filter((k) => !hasKernel(k, backend));
    if (missing.length > 0)
      throw new SkipCase(`tfjs-${backend} has no ${missing.join(", ")} kernel`);
    switch (s.kind) {
      case "matmul": {
        const { a, b } = dataOf(data, "matmul");
        const at = tf.tensor2d(a, [s.n, s.n]);
        const bt = tf.tensor2d(b, [s.n, s.n]);
        return runner(() => tf.matMul(at, bt), [at, bt]);
      }
      case "conv2d":
        return convRunner(s, data);
      case "step":
        return s.cold ? tfColdRunner(backend, s, data) : tfStepRunner(s, data);
      case "compile":
      case "forward":
        throw new Error(`bench: tfjs does not run the ${s.kind} cases`);
    }
  },
});

/** The peers: tfjs's plain-JS CPU backend and its WASM (SIMD) backend. */
export const tfImpls = (): Impl[] => [tfImpl("cpu"), tfImpl("wasm")];
