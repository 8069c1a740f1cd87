import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import { compile, conv2d, hostTensor, input } from "../index";
import { assertVjp, randomTensor, rng } from "@loom/testing";

// Before: the functional conv2d had no bias (only the nn layer added one), and its options
// object accepted any key.

describe("functional conv2d with an optional bias (torch.nn.functional.conv2d)", () => {
  it("adds the bias per output channel (hand-computed)", async () => {
    // x: 1x1x2x2 = [[1,2],[3,4]], w: 2x1x1x1 = [10, -1], bias [0.5, 7].
    const exe = compile(
      cpuBackend(),
      ({ x, w, b }: { x: Tensor; w: Tensor; b: Tensor }) => ({ y: conv2d(x, w, { bias: b }) }),
      { x: { shape: [1, 1, 2, 2] }, w: { shape: [2, 1, 1, 1] }, b: { shape: [2] } },
    );
    const { y } = (await exe.run({
      x: hostTensor([1, 2, 3, 4], [1, 1, 2, 2]),
      w: hostTensor([10, -1], [2, 1, 1, 1]),
      b: hostTensor([0.5, 7], [2]),
    })) as { y: HostTensor };
    expect([...y.data]).toEqual([10.5, 20.5, 30.5, 40.5, 6, 5, 4, 3]);
  });

  it("gradients w.r.t. x, w and bias match finite differences", async () => {
    const next = rng(3);
    await assertVjp(
      ([x, w, b]) => conv2d(x!, w!, { bias: b!, stride: 2, padding: 1 }),
      [randomTensor([2, 3, 5, 4], next), randomTensor([4, 3, 3, 2], next), randomTensor([4], next)],
      { seed: 3 },
    );
  });

  it("refuses a bias of the wrong size and unknown option keys", () => {
    const x = input("x", [1, 2, 4, 4]);
    const w = input("w", [3, 2, 3, 3]);
    expect(() => conv2d(x, w, { bias: input("b", [2]) })).toThrow(/bias must be \[3\]/);
    expect(() => conv2d(x, w, { strides: 2 } as never)).toThrow(LoomError);
    expect(() => conv2d(x, w, { strides: 2 } as never)).toThrow(
      /unknown option "strides"; valid options are "stride"/,
    );
  });
});
