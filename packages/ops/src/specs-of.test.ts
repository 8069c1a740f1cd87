import { describe, expect, expectTypeOf, it } from "vitest";
import type { HostsOf, TensorSpec, TensorsOf } from "./compile";
import { hostTensor } from "./host";
import type { Tree } from "./pytree";
import * as nn from "./nn/index";
import { specsOf } from "./specs-of";

describe("specsOf", () => {
  const _model = nn.sequential({ fc: nn.dense(2), act: nn.relu() });
  type P = nn.ParamsOf<typeof _model>;
  const params: HostsOf<P> = {
    fc: { w: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]), b: hostTensor([0, 0], [2]) },
    act: {},
  };

  it("gives every leaf's shape and dtype, in the tree's structure", () => {
    expect(specsOf(params)).toEqual({
      fc: { w: { shape: [2, 3], dtype: "float32" }, b: { shape: [2], dtype: "float32" } },
      act: {},
    });
  });

  it("keeps a typed model's tree type, so a compiled function can call its typed apply", () => {
    const specs = specsOf(params);
    expectTypeOf<TensorsOf<typeof specs>>().toMatchTypeOf<P>();
    expect(specs.fc.w.shape).toEqual([2, 3]);
    // An untyped tree stays untyped.
    expectTypeOf(specsOf({} as Tree<(typeof params)["fc"]["w"]>)).toEqualTypeOf<Tree<TensorSpec>>();
  });
});
