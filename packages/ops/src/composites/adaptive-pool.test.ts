import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import { adaptiveAvgPool2d, compile, hostTensor, input, nn } from "../index";
import { assertVjp, randomTensor, rng, seedArb } from "@loom/testing";

// Before: adaptive average pooling lived in @loom/models and took one size (square output).

/** torch.nn.functional.adaptive_avg_pool2d in plain float64 JS. */
const adaptiveRef = (x: ArrayLike<number>, [n, c, h, w]: number[], oh: number, ow: number) => {
  const out: number[] = [];
  for (let i = 0; i < n! * c!; i++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++) {
        const [r0, r1] = [Math.floor((r * h!) / oh), Math.ceil(((r + 1) * h!) / oh)];
        const [q0, q1] = [Math.floor((q * w!) / ow), Math.ceil(((q + 1) * w!) / ow)];
        let s = 0;
        for (let y = r0; y < r1; y++) for (let z = q0; z < q1; z++) s += x[(i * h! + y) * w! + z]!;
        out.push(s / ((r1 - r0) * (q1 - q0)));
      }
  return out;
};

describe("adaptiveAvgPool2d to any [oh, ow]", () => {
  const dims = fc.integer({ min: 1, max: 7 });
  it("matches PyTorch's bins for random input and output sizes (down and up)", async () => {
    await fc.assert(
      fc.asyncProperty(
        dims,
        dims,
        dims,
        dims,
        fc.boolean(),
        seedArb,
        async (h, w, oh, ow, useNull, seed) => {
          const shape = [2, 3, h, w];
          const x = randomTensor(shape, rng(seed));
          const size = useNull ? ([oh, null] as const) : ([oh, ow] as const);
          const exe = compile(
            cpuBackend(),
            ({ x: v }: { x: Tensor }) => ({ y: adaptiveAvgPool2d(v, size) }),
            {
              x: { shape, dtype: "float64" },
            },
          );
          const { y } = (await exe.run({ x })) as { y: HostTensor };
          const wantW = useNull ? w : ow;
          expect(y.shape).toEqual([2, 3, oh, wantW]);
          const want = adaptiveRef(x.data, shape, oh, wantW);
          want.forEach((v, i) => expect(Math.abs(y.data[i]! - v)).toBeLessThan(1e-12));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("hand-computed: a 1x5 row to 3 bins overlaps at the edges", async () => {
    const exe = compile(
      cpuBackend(),
      ({ x }: { x: Tensor }) => ({
        y: nn.adaptiveAvgPool2d([1, 3]).apply({}, {}, x, { training: false }).y,
      }),
      {
        x: { shape: [1, 1, 1, 5] },
      },
    );
    const { y } = (await exe.run({ x: hostTensor([1, 2, 3, 4, 5], [1, 1, 1, 5]) })) as {
      y: HostTensor;
    };
    // Bins [0,2), [1,4), [3,5).
    expect([...y.data]).toEqual([1.5, 3, 4.5]);
  });

  it("gradient matches finite differences", async () => {
    await assertVjp(([x]) => adaptiveAvgPool2d(x!, [3, 2]), [randomTensor([1, 2, 5, 7], rng(9))], {
      seed: 9,
    });
  });

  it("refuses a bad output size and a non-NCHW input", () => {
    expect(() => adaptiveAvgPool2d(input("x", [1, 1, 4, 4]), [0, 2])).toThrow(LoomError);
    expect(() => adaptiveAvgPool2d(input("x", [4, 4]), 2)).toThrow(/NCHW/);
  });
});
