import { describe, expect, expectTypeOf, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { hostTensor, isHostTensor } from "./host";
import type { Tree } from "./pytree";
import { flattenTree, mapTree } from "./pytree";

describe("mapTree keeps a typed tree's type", () => {
  const params = {
    fc: { w: hostTensor([1, 2, 3, 4], [2, 2]), b: hostTensor([5, 6], [2]) },
    layers: [{ w: hostTensor([7], [1]) }],
  };
  const sizes = mapTree(params, isHostTensor, (t) => t.data.length);

  it("maps the leaves at the same paths (checked against flattenTree)", () => {
    expect(sizes.fc.w + sizes.fc.b + sizes.layers[0]!.w).toBe(7);
    expect(flattenTree(sizes, (x): x is number => typeof x === "number")).toEqual(
      flattenTree(params, isHostTensor).map(({ path, leaf }) => ({ path, leaf: leaf.data.length })),
    );
  });

  it("types the result after the input (no cast to read sizes.fc.w); untyped stays Tree", () => {
    expectTypeOf(sizes.fc.w).toEqualTypeOf<number>();
    expectTypeOf(sizes.layers[0]!.w).toEqualTypeOf<number>();
    // @ts-expect-error the tree has no fc.gate
    expect(sizes.fc.gate).toBeUndefined();
    const untyped: Tree<HostTensor> = params;
    const shapes: Tree<readonly number[]> = mapTree(untyped, isHostTensor, (t) => t.shape);
    expect(shapes).toEqual({ fc: { w: [2, 2], b: [2] }, layers: [{ w: [1] }] });
  });
});
