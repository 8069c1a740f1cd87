import { describe, expect, expectTypeOf, it } from "vitest";
import { graphKey, LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { input } from "../core";
import { mul } from "../api/elementwise";
import { trace } from "../compile";
import { sigmoid } from "../composites/activations";
import * as nn from "./index";

// A custom layer whose parameter tree is inferred from its init.
const gate = nn.layer({
  kind: "gate",
  init: (k) => ({
    params: { gate: nn.zeros(k, [3], { fanIn: 3, fanOut: 3 }, "float32") },
    state: {},
  }),
  apply: (p, s, x) => ({ y: mul(x, sigmoid(p.gate)), state: s }),
});
const model = nn.sequential({
  fc: nn.dense(3),
  res: gate,
  block: nn.residual(nn.dense(3), nn.dense({ out: 3, bias: false })),
  bn: nn.batchNorm(),
});

describe("parameter trees typed from the layers", () => {
  it("reads params.res.gate, params.block.shortcut.w and state.bn.mean with no cast", () => {
    type P = nn.ParamsOf<typeof model>;
    type S = nn.StateOf<typeof model>;
    expectTypeOf<P["res"]["gate"]>().toEqualTypeOf<Tensor>();
    expectTypeOf<P["fc"]>().toEqualTypeOf<nn.DenseParams>();
    expectTypeOf<P["block"]["shortcut"]["w"]>().toEqualTypeOf<Tensor>();
    expectTypeOf<S["bn"]["mean"]>().toEqualTypeOf<Tensor>();
    const { params, state } = model.init(input("k", [2], "int32"), { shape: ["N", 3] });
    expect(params.res.gate.shape).toEqual([3]);
    expect(params.block.shortcut.w.shape).toEqual([3, 3]);
    expect(state.bn.var.shape).toEqual([3]);
    // @ts-expect-error a layer that does not exist
    expect(params.nothing).toBeUndefined();
  });

  it("a typed model is still an nn.Layer, usable wherever one is", () => {
    expectTypeOf(model).toMatchTypeOf<nn.Layer>();
    const layers: nn.Layer[] = [model, gate, nn.relu()];
    expect(layers).toHaveLength(3);
  });
});

describe("layer factories", () => {
  it("passing a factory without () is a type error and a LoomError saying to call it", () => {
    // @ts-expect-error nn.relu is the factory, nn.relu() the layer
    expect(() => nn.sequential({ act: nn.relu })).toThrow(
      /sequential: child "act" is a function, not a layer: a layer factory must be called \(nn.relu\(\), not nn.relu\)/,
    );
    // @ts-expect-error likewise in an array
    expect(() => nn.sequential([nn.dense(2), nn.flatten])).toThrow(/child "1" is a function/);
    // @ts-expect-error and as a residual block
    expect(() => nn.residual(nn.relu)).toThrow(/the block is a function/);
    // @ts-expect-error not a layer at all
    expect(() => nn.sequential({ fc: 3 })).toThrow(/child "fc" is 3; expected a layer/);
  });

  it("the positional shorthand builds the same layer as the options object", () => {
    const k = input("k", [2], "int32");
    const same = (a: nn.Layer, b: nn.Layer, shape: (number | string)[]) =>
      expect(
        graphKey(
          trace(({ k }) => a.init(k, { shape }), { k: { shape: [2], dtype: "int32" } }).graph,
        ),
      ).toBe(
        graphKey(
          trace(({ k }) => b.init(k, { shape }), { k: { shape: [2], dtype: "int32" } }).graph,
        ),
      );
    same(nn.conv2d(8, 3), nn.conv2d({ out: 8, kernel: 3 }), ["N", 2, 5, 5]);
    same(
      nn.conv2d(8, [3, 2], { bias: false }),
      nn.conv2d({ out: 8, kernel: [3, 2], bias: false }),
      ["N", 2, 5, 5],
    );
    same(nn.dense(4), nn.dense({ out: 4 }), ["N", 3]);
    // Parameterless layers: the same output graph for the same input.
    const x = input("x", [1, 1, 4, 4]);
    const y = (l: nn.Layer) =>
      graphKey(trace(() => l.apply({}, {}, x, { training: false }), {}).graph);
    expect(y(nn.maxPool2d(2))).toBe(y(nn.maxPool2d({ kernel: 2 })));
    expect(y(nn.maxPool2d(2))).not.toBe(y(nn.maxPool2d({ kernel: 2, stride: 1 })));
    expect(y(nn.avgPool2d(2, { padding: 1 }))).toBe(y(nn.avgPool2d({ kernel: 2, padding: 1 })));
    expect(y(nn.adaptiveAvgPool2d([1, 2]))).toBe(y(nn.adaptiveAvgPool2d({ size: [1, 2] })));
    expect(y(nn.leakyRelu(0.2))).toBe(y(nn.leakyRelu({ slope: 0.2 })));
    expect(y(nn.leakyRelu(0.2))).not.toBe(y(nn.leakyRelu()));
    const drop = (l: nn.Layer) =>
      graphKey(trace(() => l.apply({}, {}, x, { training: true, key: k }), {}).graph);
    expect(drop(nn.dropout(0.5))).toBe(drop(nn.dropout({ rate: 0.5 })));
    expect(drop(nn.dropout(0.5))).not.toBe(drop(nn.dropout(0.25)));
  });

  it("refuses an option given twice, a misspelt one, and stray arguments", () => {
    expect(() => nn.conv2d(8, 3, { out: 4 } as never)).toThrow(/out is given twice/);
    expect(() => nn.dense({ out: 4, bais: false } as never)).toThrow(/unknown option "bais"/);
    expect(() => (nn.dense as (...a: unknown[]) => unknown)(4, {}, {})).toThrow(LoomError);
    expect(() => nn.maxPool2d(2, 2 as never)).toThrow(/an options object, got 2/);
  });
});
