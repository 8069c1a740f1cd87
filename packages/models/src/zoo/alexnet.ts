import { nn } from "@loom/ops";

import { checkCommon, scaled, withMinSize } from "./common";

/** Options of AlexNet; the defaults are torchvision's `alexnet()`. */
export interface AlexNetOptions {
  readonly classes?: number;
  /** Dropout rate before each hidden dense layer (torchvision: 0.5; 0 = none). */
  readonly dropout?: number;
  /** Multiplies every conv width (1 = 64-192-384-256-256), for small test models. */
  readonly width?: number;
  /** Width of the two hidden dense layers (4096). */
  readonly hidden?: number;
}

/**
 * AlexNet as torchvision's single-tower variant (Krizhevsky 2014, "one weird trick"): five
 * convs (64 11x11/4 pad 2, 192 5x5 pad 2, 384, 256, 256 3x3 pad 1) with three 3x3/2 max
 * pools, an adaptive average pool to 6x6 (the identity at 224x224; any input from 63x63 up
 * works), then dropout-fc 4096-relu twice and fc classes: 61,100,840 parameters at 1000
 * classes. Children are named `features.conv1`... and `classifier.fc1`... .
 */
export const alexnet = (opts: AlexNetOptions = {}) => {
  checkCommon("alexnet", opts);
  const w = (c: number) => scaled(c, opts.width ?? 1);
  const hidden = opts.hidden ?? 4096;
  const rate = opts.dropout ?? 0.5;
  const pool = () => nn.maxPool2d({ kernel: 3, stride: 2 });
  const net = nn.sequential({
    features: nn.sequential({
      conv1: nn.conv2d(w(64), 11, { stride: 4, padding: 2 }),
      relu1: nn.relu(),
      pool1: pool(),
      conv2: nn.conv2d(w(192), 5, { padding: 2 }),
      relu2: nn.relu(),
      pool2: pool(),
      conv3: nn.conv2d(w(384), 3, { padding: 1 }),
      relu3: nn.relu(),
      conv4: nn.conv2d(w(256), 3, { padding: 1 }),
      relu4: nn.relu(),
      conv5: nn.conv2d(w(256), 3, { padding: 1 }),
      relu5: nn.relu(),
      pool5: pool(),
    }),
    avgpool: nn.adaptiveAvgPool2d(6),
    flatten: nn.flatten(),
    classifier: nn.sequential({
      ...(rate > 0 ? { drop1: nn.dropout(rate) } : {}),
      fc1: nn.dense(hidden),
      relu1: nn.relu(),
      ...(rate > 0 ? { drop2: nn.dropout(rate) } : {}),
      fc2: nn.dense(hidden),
      relu2: nn.relu(),
      fc3: nn.dense(opts.classes ?? 1000),
    }),
  });
  return withMinSize("alexnet", 63, net);
};
