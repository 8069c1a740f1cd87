import type { Tensor } from "@loom/ops";
import * as L from "@loom/ops";
import type { Attrs, ConvertNode, Converter } from "./context";
import { inputAt, staticValues, unsupported } from "./context";

/** Reshapes a per-channel vector `[C]` to broadcast against `[N, C, ...spatial]`. */
const perChannel = (v: Tensor, rank: number): Tensor =>
  L.reshape(v, [v.shape[0]!, ...Array.from({ length: rank - 2 }, () => 1)]);

const gemm: Converter = (n) => {
  const a0 = inputAt(n, 0);
  const b0 = inputAt(n, 1);
  const a = n.attrs.int("transA", 0) === 1 ? L.transpose(a0) : a0;
  const b = n.attrs.int("transB", 0) === 1 ? L.transpose(b0) : b0;
  const alpha = n.attrs.float("alpha", 1);
  const beta = n.attrs.float("beta", 1);
  const ab = L.matmul(a, b);
  const scaled = alpha === 1 ? ab : L.mul(ab, alpha);
  const c = n.inputs[2];
  if (c === undefined) return [scaled];
  return [L.add(scaled, beta === 1 ? c : L.mul(c, beta))];
};

/** The `[top, bottom, left, right]` padding of a 2-D window op from ONNX's pads or auto_pad. */
const windowPadding = (
  n: ConvertNode,
  x: Tensor,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): L.Padding2 => {
  const autoPad = n.attrs.string("auto_pad", "NOTSET");
  if (autoPad === "VALID") return "valid";
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const pads = [0, 1].map((i) => {
      const size = x.shape[i + 2] as number;
      const out = Math.ceil(size / stride[i]!);
      const total = Math.max(
        (out - 1) * stride[i]! + (kernel[i]! - 1) * dilation[i]! + 1 - size,
        0,
      );
      const small = Math.floor(total / 2);
      return autoPad === "SAME_UPPER" ? [small, total - small] : [total - small, small];
    });
    return [pads[0]![0]!, pads[0]![1]!, pads[1]![0]!, pads[1]![1]!];
  }
  const p = n.attrs.ints("pads", [0, 0, 0, 0])!;
  return [p[0]!, p[2]!, p[1]!, p[3]!];
};

/** Checks that a window op is 2-D (loom's convolution and pooling are NCHW). */
const check2d = (n: ConvertNode, x: Tensor): void => {
  if (x.shape.length !== 4)
    throw unsupported(
      n,
      `a ${x.shape.length - 2}-D window; loom's convolution and pooling are 2-D (NCHW)`,
    );
};

/** A 1-D window attribute as the 2-D one over a unit height: `[k]` -> `[1, k]`, pads `[b, e]` -> `[0, b, 0, e]`. */
const lift1dAttrs = (a: Attrs): Attrs => {
  const lifted: Readonly<Record<string, (v: readonly number[]) => readonly number[]>> = {
    kernel_shape: (v) => [1, ...v],
    strides: (v) => [1, ...v],
    dilations: (v) => [1, ...v],
    pads: (v) => [0, v[0]!, 0, v[1]!],
  };
  return {
    ...a,
    ints: (name, dflt) => {
      const v = a.ints(name);
      return v !== undefined && Object.hasOwn(lifted, name) ? lifted[name]!(v) : (v ?? dflt);
    },
  };
};

/**
 * Runs a 2-D window converter on a 1-D window op (`[N, C, L]`) by adding a unit height to the
 * input (and to a weight `[O, I, K]`) and dropping it from the result.
 */
const lift1d =
  (f: Converter, liftInputs: readonly number[]): Converter =>
  (n) => {
    const x = inputAt(n, 0);
    if (x.shape.length !== 3) return f(n);
    const unitHeight = (t: Tensor) => L.reshape(t, [t.shape[0]!, t.shape[1]!, 1, t.shape[2]!]);
    const inputs = n.inputs.map((t, i) =>
      t !== undefined && liftInputs.includes(i) ? unitHeight(t) : t,
    );
    return f({ ...n, inputs, attrs: lift1dAttrs(n.attrs) }).map((y) =>
      L.reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]),
    );
  };

const conv: Converter = (n) => {
  const x = inputAt(n, 0);
  const w = inputAt(n, 1);
  check2d(n, x);
  const kernel = n.attrs.ints("kernel_shape") ?? w.shape.slice(2).map(Number);
  const stride = n.attrs.ints("strides", [1, 1])!;
  const dilation = n.attrs.ints("dilations", [1, 1])!;
  const y = L.conv2d(x, w, {
    stride: [stride[0]!, stride[1]!],
    dilation: [dilation[0]!, dilation[1]!],
    groups: n.attrs.int("group", 1),
    padding: windowPadding(n, x, kernel, stride, dilation),
  });
  const b = n.inputs[2];
  return [b === undefined ? y : L.add(y, perChannel(b, 4))];
};

const pool =
  (kind: "max" | "avg"): Converter =>
  (n) => {
    const x = inputAt(n, 0);
    check2d(n, x);
    if (n.outputCount > 1) throw unsupported(n, "the Indices output");
    const dilation = n.attrs.ints("dilations", [1, 1])!;
    if (dilation.some((d) => d !== 1)) throw unsupported(n, "dilated pooling");
    const kernel = n.attrs.ints("kernel_shape")!;
    const stride = n.attrs.ints("strides", [1, 1])!;
    const opts = {
      kernel: [kernel[0]!, kernel[1]!] as const,
      stride: [stride[0]!, stride[1]!] as const,
      padding: windowPadding(n, x, kernel, stride, dilation),
      ceilMode: n.attrs.int("ceil_mode", 0) === 1,
    };
    return [
      kind === "max"
        ? L.maxPool2d(x, opts)
        : L.avgPool2d(x, { ...opts, countIncludePad: n.attrs.int("count_include_pad", 0) === 1 }),
    ];
  };

const spatialAxes = (x: Tensor) => x.shape.slice(2).map((_, i) => i + 2);

const batchNorm: Converter = (n) => {
  if (n.attrs.int("training_mode", 0) === 1 || n.outputCount > 1)
    throw unsupported(n, "training mode (running statistics as outputs); export in eval mode");
  const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => inputAt(n, i)) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  const r = x.shape.length;
  const eps = n.attrs.float("epsilon", 1e-5);
  const inv = L.div(perChannel(scale, r), L.sqrt(L.add(perChannel(variance, r), eps)));
  return [L.add(L.mul(L.sub(x, perChannel(mean, r)), inv), perChannel(bias, r))];
};

/** Normalises over `axes` with a per-element scale and bias (instance and layer norm). */
const normalize = (x: Tensor, axes: readonly number[], eps: number) => {
  const m = L.mean(x, axes, true);
  const v = L.mean(L.square(L.sub(x, m)), axes, true);
  return L.div(L.sub(x, m), L.sqrt(L.add(v, eps)));
};

/** Softmax and friends: from opset 13 over one axis, before it over the axes from `axis` on, flattened. */
const softmaxLike =
  (f: (x: Tensor, axis: number) => Tensor): Converter =>
  (n) => {
    const x = inputAt(n, 0);
    const r = x.shape.length;
    if (n.opset >= 13) return [f(x, n.attrs.int("axis", -1))];
    const axis = n.attrs.int("axis", 1);
    const a = axis < 0 ? axis + r : axis;
    const flat = L.reshape(x, [
      x.shape.slice(0, a).reduce<number>((p, d) => p * (d as number), 1),
      x.shape.slice(a).reduce<number>((p, d) => p * (d as number), 1),
    ]);
    return [L.reshape(f(flat, 1), x.shape)];
  };

const hardmax = (x: Tensor, axis: number) => {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const hot = L.oneHot(L.argmax(x, a), x.shape[a] as number, x.dtype);
  // oneHot appends the class axis; move it back to where the reduced axis was.
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => (i < a ? i : i === a ? r - 1 : i - 1));
  return L.transpose(hot, perm);
};

/** Converters of ONNX's neural-network ops, by op type. */
export const nnConverters: Readonly<Record<string, Converter>> = {
  MatMul: (n) => [L.matmul(inputAt(n, 0), inputAt(n, 1))],
  Gemm: gemm,
  Conv: lift1d(conv, [0, 1]),
  MaxPool: lift1d(pool("max"), [0]),
  AveragePool: lift1d(pool("avg"), [0]),
  GlobalAveragePool: (n) => [L.mean(inputAt(n, 0), spatialAxes(inputAt(n, 0)), true)],
  GlobalMaxPool: (n) => [L.max(inputAt(n, 0), spatialAxes(inputAt(n, 0)), true)],
  BatchNormalization: batchNorm,
  InstanceNormalization: (n) => {
    const x = inputAt(n, 0);
    const r = x.shape.length;
    const y = normalize(x, spatialAxes(x), n.attrs.float("epsilon", 1e-5));
    return [L.add(L.mul(y, perChannel(inputAt(n, 1), r)), perChannel(inputAt(n, 2), r))];
  },
  LayerNormalization: (n) => {
    const x = inputAt(n, 0);
    const r = x.shape.length;
    const axis = n.attrs.int("axis", -1);
    const from = axis < 0 ? axis + r : axis;
    const axes = x.shape.slice(from).map((_, i) => i + from);
    const eps = n.attrs.float("epsilon", 1e-5);
    const m = L.mean(x, axes, true);
    const invStd = L.reciprocal(L.sqrt(L.add(L.mean(L.square(L.sub(x, m)), axes, true), eps)));
    const y = L.mul(L.mul(L.sub(x, m), invStd), inputAt(n, 1));
    const b = n.inputs[2];
    return [b === undefined ? y : L.add(y, b), m, invStd].slice(0, Math.max(1, n.outputCount));
  },
  Dropout: (n) => {
    // Inference semantics: the identity; a training_mode input that is set is refused.
    const x = inputAt(n, 0);
    const training = n.inputs[2] === undefined ? undefined : staticValues(n.inputs[2]);
    if (training === undefined ? n.inputs[2] !== undefined : training[0] !== 0)
      throw unsupported(n, "training mode; export the model for inference");
    const out = [x];
    return n.outputCount > 1
      ? [...out, L.cast(L.broadcastTo(L.scalar(1, "int32"), x.shape), "bool")]
      : out;
  },
  Softmax: softmaxLike((x, a) => L.softmax(x, a)),
  LogSoftmax: softmaxLike((x, a) => L.logSoftmax(x, a)),
  Hardmax: softmaxLike(hardmax),
};
