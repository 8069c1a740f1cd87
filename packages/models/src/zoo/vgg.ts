import { nn } from "@loom/ops";

import { checkCommon, depthConfig, scaled, withMinSize } from "./common";

/** The conv widths per stage of Simonyan & Zisserman's configurations A (11), B (13), D (16), E (19). */
export const VGG_CONFIGS = {
  11: [[64], [128], [256, 256], [512, 512], [512, 512]],
  13: [
    [64, 64],
    [128, 128],
    [256, 256],
    [512, 512],
    [512, 512],
  ],
  16: [
    [64, 64],
    [128, 128],
    [256, 256, 256],
    [512, 512, 512],
    [512, 512, 512],
  ],
  19: [
    [64, 64],
    [128, 128],
    [256, 256, 256, 256],
    [512, 512, 512, 512],
    [512, 512, 512, 512],
  ],
} as const;

/** A VGG depth: 11, 13, 16 or 19 weight layers. */
export type VggDepth = keyof typeof VGG_CONFIGS;

/** Options of VGG; the defaults are torchvision's `vgg11()`/`vgg16()`. */
export interface VggOptions {
  readonly classes?: number;
  /** Batch normalisation after each conv (torchvision's `vgg16_bn`); off by default, as in the paper. */
  readonly batchNorm?: boolean;
  /** Dropout rate after each hidden dense layer (0.5; 0 = none). */
  readonly dropout?: number;
  /** Multiplies every conv width (1 = 64...512), for small test models. */
  readonly width?: number;
  /** Width of the two hidden dense layers (4096). */
  readonly hidden?: number;
}

/**
 * VGG (Simonyan & Zisserman 2015) as torchvision builds it: stages of 3x3 pad 1 convs with
 * ReLU (and optional batch norm), each closed by a 2x2 max pool, an adaptive average pool to
 * 7x7 (the identity at 224x224; inputs from 32x32 up work), then fc 4096-relu-dropout twice
 * and fc classes. VGG-16 has 138,357,544 parameters at 1000 classes, VGG-11 132,863,336.
 * Children are named `features.conv3_2`, `features.pool3`... and `classifier.fc1`... .
 */
export const vgg = (depth: VggDepth, opts: VggOptions = {}): nn.Layer => {
  const config = depthConfig("vgg", VGG_CONFIGS, depth, "11, 13, 16 or 19");
  checkCommon(`vgg${depth}`, opts);
  return withMinSize(
    `vgg${depth}`,
    32,
    vggNet(config, opts, { hidden: 4096, classes: 1000, pool: 7 }),
  );
};

/** The conv widths of `smallVgg`'s two stages. */
export const SMALL_VGG_CONFIG = [
  [32, 32],
  [64, 64],
] as const;

/**
 * A small VGG for 28x28 digits: two stages of two 3x3 convs (32 and 64 channels, optional batch
 * norm) each closed by a 2x2 max pool, then fc 128-relu twice and fc 10, with the same layer
 * names as `vgg` (`features.conv1_1`... `classifier.fc3`). Dropout is off unless asked for.
 */
export const smallVgg = (opts: VggOptions = {}): nn.Layer => {
  checkCommon("vgg-small", opts);
  return withMinSize(
    "vgg-small",
    4,
    vggNet(SMALL_VGG_CONFIG, { dropout: 0, ...opts }, { hidden: 128, classes: 10, pool: 7 }),
  );
};

/** VGG's layers for stages of conv widths; `defaults` are the hidden width, classes and pooled size. */
const vggNet = (
  config: readonly (readonly number[])[],
  opts: VggOptions,
  defaults: { readonly hidden: number; readonly classes: number; readonly pool: number },
): nn.Layer => {
  const hidden = opts.hidden ?? defaults.hidden;
  const rate = opts.dropout ?? 0.5;
  const features: Record<string, nn.Layer> = {};
  config.forEach((widths, s) => {
    widths.forEach((c, j) => {
      const id = `${s + 1}_${j + 1}`;
      features[`conv${id}`] = nn.conv2d(scaled(c, opts.width ?? 1), 3, { padding: 1 });
      if (opts.batchNorm) features[`bn${id}`] = nn.batchNorm();
      features[`relu${id}`] = nn.relu();
    });
    features[`pool${s + 1}`] = nn.maxPool2d({ kernel: 2, stride: 2 });
  });
  return nn.sequential({
    features: nn.sequential(features),
    avgpool: nn.adaptiveAvgPool2d(defaults.pool),
    flatten: nn.flatten(),
    classifier: nn.sequential({
      fc1: nn.dense(hidden),
      relu1: nn.relu(),
      ...(rate > 0 ? { drop1: nn.dropout(rate) } : {}),
      fc2: nn.dense(hidden),
      relu2: nn.relu(),
      ...(rate > 0 ? { drop2: nn.dropout(rate) } : {}),
      fc3: nn.dense(opts.classes ?? defaults.classes),
    }),
  });
};
