import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { makeGraph, orThrow, algebraicIdentities, simplify } from "@loom/graph";
import { referenceBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import { compile, hostTensor, input, primitives, referenceStages, scalar, sub } from "../index";

// `x - c -> x` is exact only for c = +0 on floats: -0 - (-0) is +0, not -0. (On int32 every
// zero is the identity.)

describe("sub's identity rule", () => {
  const ids = algebraicIdentities(primitives);
  const rewrite = (y: Tensor, x: Tensor) => orThrow(ids.run(makeGraph({ x }, { y }))).outputs["y"]!;

  it("rewrites x - (+0) to x and int32 i - 0 to i, but keeps float x - (-0)", () => {
    const x = input("x", [3]);
    const i = input("x", [3], "int32");
    expect(rewrite(sub(x, 0), x)).toBe(x);
    expect(rewrite(sub(i, 0), i)).toBe(i);
    expect(rewrite(sub(x, scalar(-0)), x).op).toBe("sub");
  });

  it("keeps the sign of zero of -0 - (-0) through simplify", async () => {
    const fn = ({ x }: { x: Tensor }) => ({ y: sub(x, scalar(-0)) });
    const f = compile(
      referenceBackend(),
      fn,
      { x: { shape: [3] } },
      {
        stages: [simplify(primitives), ...referenceStages()],
      },
    );
    const out = (await f.run({ x: hostTensor([-0, 0, 1.5], [3]) })) as { y: HostTensor };
    expect(Array.from(out.y.data).map((v) => Object.is(v, -0))).toEqual([false, false, false]);
    expect(Array.from(out.y.data)).toEqual([0, 0, 1.5]);
  });
});
