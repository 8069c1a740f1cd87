import { formatShape, LoomError } from "@loom/graph";
import { nn, pad, slice } from "@loom/ops";
import { checkCommon, depthConfig, guardInput, scaled } from "./common";

/** Blocks per stage of He et al.'s ImageNet ResNets, and whether they use bottleneck blocks. */
export const RESNET_CONFIGS = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
  101: { blocks: [3, 4, 23, 3], bottleneck: true },
  152: { blocks: [3, 8, 36, 3], bottleneck: true },
} as const;

/** An ImageNet ResNet depth. */
export type ResNetDepth = keyof typeof RESNET_CONFIGS;

/** Options of the ImageNet ResNets; the defaults are torchvision's `resnet18()`... */
export interface ResNetOptions {
  readonly classes?: number;
  /** Multiplies every conv width (1 = 64-128-256-512), for small test models. */
  readonly width?: number;
}

// torchvision's init: kaiming_normal_(mode="fan_out", nonlinearity="relu") for every conv.
const heFanOut = nn.normalInit(({ fanOut }) => Math.sqrt(2 / fanOut));

type ConvInit = { readonly kernelInit: nn.Initializer };

/** A bias-free conv (batch norm follows, so a bias would be redundant), as in torchvision. */
const conv = (c: number, k: number, stride: number, init: ConvInit): nn.Layer =>
  nn.conv2d(c, k, { stride, padding: (k - 1) / 2, bias: false, ...init });

/** The projection shortcut (option B): 1x1 conv with the block's stride, then batch norm. */
const projection = (c: number, stride: number, init: ConvInit): nn.Layer =>
  nn.sequential({ conv: conv(c, 1, stride, init), bn: nn.batchNorm() });

/** Two 3x3 convs (He et al.'s basic block); the first carries the stride. */
const basicBlock = (c: number, stride: number, shortcut: nn.Layer | undefined, init: ConvInit) =>
  nn.residual(
    nn.sequential({
      conv1: conv(c, 3, stride, init),
      bn1: nn.batchNorm(),
      relu1: nn.relu(),
      conv2: conv(c, 3, 1, init),
      bn2: nn.batchNorm(),
    }),
    shortcut,
    nn.relu(),
  );

/** 1x1 reduce, 3x3 with the stride ("v1.5", as torchvision), 1x1 expand to 4x the width. */
const bottleneckBlock = (
  c: number,
  stride: number,
  shortcut: nn.Layer | undefined,
  init: ConvInit,
) =>
  nn.residual(
    nn.sequential({
      conv1: conv(c, 1, 1, init),
      bn1: nn.batchNorm(),
      relu1: nn.relu(),
      conv2: conv(c, 3, stride, init),
      bn2: nn.batchNorm(),
      relu2: nn.relu(),
      conv3: conv(c * 4, 1, 1, init),
      bn3: nn.batchNorm(),
    }),
    shortcut,
    nn.relu(),
  );

/**
 * ResNet-18/34 (basic blocks) and 50/101/152 (bottleneck blocks, stride on the 3x3 conv) as
 * torchvision builds them: conv 7x7/2 pad 3, batch norm, relu, max pool 3x3/2 pad 1, four
 * stages `layer1`..`layer4` of widths 64/128/256/512 (x4 out of a bottleneck) whose first block
 * strides by 2 (but layer1's), projection shortcuts where the shape changes, global average
 * pooling and fc. Convs have no bias; batch norm has 2 params per channel (its running
 * statistics are state). Parameters at 1000 classes: ResNet-18 11,689,512, ResNet-34
 * 21,797,672, ResNet-50 25,557,032. Any input from 32x32 up works.
 */
export const resnet = (depth: ResNetDepth, opts: ResNetOptions = {}): nn.Layer => {
  const config = depthConfig(
    "resnet",
    RESNET_CONFIGS,
    depth,
    "18, 34, 50, 101 or 152",
    " (CIFAR ResNets: cifarResnet)",
  );
  checkCommon(`resnet${depth}`, opts);
  const init = { kernelInit: heFanOut };
  const expansion = config.bottleneck ? 4 : 1;
  const block = config.bottleneck ? bottleneckBlock : basicBlock;
  const stem = scaled(64, opts.width ?? 1);
  let channels = stem;
  const stages: Record<string, nn.Layer> = {};
  config.blocks.forEach((n, s) => {
    const c = scaled(64 * 2 ** s, opts.width ?? 1);
    stages[`layer${s + 1}`] = nn.sequential(
      Array.from({ length: n }, (_, i) => {
        const stride = i === 0 && s > 0 ? 2 : 1;
        const needsProjection = stride !== 1 || channels !== c * expansion;
        channels = c * expansion;
        return block(
          c,
          stride,
          needsProjection ? projection(c * expansion, stride, init) : undefined,
          init,
        );
      }),
    );
  });
  return nn.sequential({
    conv1: conv(stem, 7, 2, init),
    bn1: nn.batchNorm(),
    relu: nn.relu(),
    maxpool: nn.maxPool2d({ kernel: 3, stride: 2, padding: 1 }),
    ...stages,
    avgpool: nn.globalAvgPool(),
    fc: nn.dense(opts.classes ?? 1000),
  });
};

/** How a CIFAR ResNet's shortcut changes shape: "A" zero-pads (no params), "B" projects. */
export type CifarShortcut = "A" | "B";

/** Options of the CIFAR ResNets. */
export interface CifarResNetOptions {
  readonly classes?: number;
  /** Channels of the input images (3 for CIFAR-10, 1 for MNIST); checked against the input. */
  readonly inputChannels?: number;
  /** "A" (default, the paper's CIFAR choice): strided identity with zero-padded channels; "B": 1x1 projection. */
  readonly shortcut?: CifarShortcut;
  /** Multiplies every conv width (1 = 16-32-64), for small test models. */
  readonly width?: number;
}

/**
 * Option A's parameter-free shortcut: keep every second pixel (a strided slice) and pad the
 * new channels with zeros, half before and half after the old ones (as the widely used
 * PyTorch reproductions do).
 */
export const zeroPadShortcut = (outChannels: number, stride: number): nn.Layer =>
  nn.fnLayer("zeroPadShortcut", (x) => {
    const c = x.shape[1] as number;
    const sub = stride === 1 ? x : slice(x, [0, 0, 0, 0], undefined, [1, 1, stride, stride]);
    const extra = outChannels - c;
    const lo = Math.floor(extra / 2);
    return pad(sub, [
      [0, 0],
      [lo, extra - lo],
      [0, 0],
      [0, 0],
    ]);
  });

/** The layer, refusing inputs whose channel count is not `expected` (when given). */
const checkChannels = (layer: nn.Layer, expected: number | undefined): nn.Layer =>
  expected === undefined
    ? layer
    : guardInput(layer, (s) => {
        if (s.length !== 4 || s[1] !== expected) {
          throw new LoomError(
            "shape_mismatch",
            "cifarResnet",
            `was configured for ${expected} input channels but got ${formatShape(s)}; pass inputChannels: ${String(s[1])}`,
            [s],
          );
        }
      });

/**
 * The CIFAR-10 ResNets of He et al. 2016 (section 4.2), depth 6n+2 (20, 32, 44, 56, 110):
 * conv 3x3 16 with batch norm and relu, three stages `layer1`..`layer3` of n basic blocks of
 * 16/32/64 channels (the first block of stages 2 and 3 strides by 2), global average pooling
 * and fc. ResNet-20 with option A has 269,722 parameters for 3 input channels and 10 classes.
 * Works on 32x32 CIFAR and 28x28 MNIST alike.
 */
export const cifarResnet = (depth: number, opts: CifarResNetOptions = {}): nn.Layer => {
  if (!Number.isInteger(depth) || depth < 8 || (depth - 2) % 6 !== 0) {
    throw new LoomError(
      "invalid_argument",
      "cifarResnet",
      `depth must be 6n+2 with n >= 1 (20, 32, 44, 56, 110), got ${depth}`,
    );
  }
  checkCommon(`resnet${depth}`, opts);
  const kind = opts.shortcut ?? "A";
  if (kind !== "A" && kind !== "B") {
    throw new LoomError(
      "invalid_argument",
      "cifarResnet",
      `shortcut must be "A" or "B", got ${JSON.stringify(kind)}`,
    );
  }
  const init = { kernelInit: nn.heNormal };
  const n = (depth - 2) / 6;
  const stem = scaled(16, opts.width ?? 1);
  let channels = stem;
  const stages: Record<string, nn.Layer> = {};
  [16, 32, 64].forEach((full, s) => {
    const c = scaled(full, opts.width ?? 1);
    stages[`layer${s + 1}`] = nn.sequential(
      Array.from({ length: n }, (_, i) => {
        const stride = i === 0 && s > 0 ? 2 : 1;
        const changes = stride !== 1 || channels !== c;
        channels = c;
        const shortcut = !changes
          ? undefined
          : kind === "A"
            ? zeroPadShortcut(c, stride)
            : projection(c, stride, init);
        return basicBlock(c, stride, shortcut, init);
      }),
    );
  });
  const net = nn.sequential({
    conv1: conv(stem, 3, 1, init),
    bn1: nn.batchNorm(),
    relu: nn.relu(),
    ...stages,
    avgpool: nn.globalAvgPool(),
    fc: nn.dense(opts.classes ?? 10),
  });
  return checkChannels(net, opts.inputChannels);
};
