import { nn } from "@loom/ops";
import { checkCommon, scaled } from "./common";

/** An initializer by name (see `nn.INITIALIZERS`). */
export type InitName = keyof typeof nn.INITIALIZERS;

/** Options of LeNet-5. */
export interface LeNetOptions {
  readonly classes?: number;
  /** Input side: 32 as in LeCun et al. 1998, or 28 (MNIST), which the first conv pads by 2 to keep the 28x28 maps. */
  readonly inputSize?: 28 | 32;
  /** "modern": ReLU and max pooling (default); "classic": tanh and average pooling, as in the paper. */
  readonly style?: "modern" | "classic";
  /** Batch normalisation after each conv and hidden dense layer. */
  readonly batchNorm?: boolean;
  /** Dropout rate before the last two dense layers (0 = none). */
  readonly dropout?: number;
  /** Weight initializer of the conv and dense layers (default: He uniform, for the ReLUs). */
  readonly init?: InitName;
  /** Multiplies every conv and hidden dense width (1 = 6-16-120-84), for small test models. */
  readonly width?: number;
}

/**
 * LeNet-5: conv 5x5x6, pool 2x2, conv 5x5x16, pool 2x2, fc 120, fc 84, fc classes. With 10
 * classes it has 61,706 parameters at either input size.
 */
export const lenet5 = (opts: LeNetOptions = {}) => {
  checkCommon("lenet", { width: opts.width });
  const c = (n: number) => scaled(n, opts.width ?? 1);
  const classic = opts.style === "classic";
  const w = { kernelInit: nn.INITIALIZERS[opts.init ?? "heUniform"] };
  const act = classic ? nn.tanh : nn.relu;
  const pool = () => (classic ? nn.avgPool2d({ kernel: 2 }) : nn.maxPool2d({ kernel: 2 }));
  return nn.sequential({
    conv1: nn.conv2d(c(6), 5, { padding: (opts.inputSize ?? 28) === 28 ? 2 : 0, ...w }),
    ...(opts.batchNorm ? { bn1: nn.batchNorm() } : {}),
    act1: act(),
    pool1: pool(),
    conv2: nn.conv2d(c(16), 5, w),
    ...(opts.batchNorm ? { bn2: nn.batchNorm() } : {}),
    act2: act(),
    pool2: pool(),
    flatten: nn.flatten(),
    fc1: nn.dense(c(120), w),
    ...(opts.batchNorm ? { bn3: nn.batchNorm() } : {}),
    act3: act(),
    ...(opts.dropout ? { drop1: nn.dropout(opts.dropout) } : {}),
    fc2: nn.dense(c(84), w),
    ...(opts.batchNorm ? { bn4: nn.batchNorm() } : {}),
    act4: act(),
    ...(opts.dropout ? { drop2: nn.dropout(opts.dropout) } : {}),
    fc3: nn.dense(opts.classes ?? 10, w),
  });
};
