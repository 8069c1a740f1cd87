import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { referenceBackend } from "@loom/backend-cpu";
import { add, relu } from "./api/elementwise";
import { reshape } from "./api/movement";
import { conv2d, matmul } from "./api/nn";
import { sum } from "./api/reduce";
import { compile } from "./compile";
import { input } from "./core";
import { hostTensor } from "./host";
import * as nn from "./nn";

const h = hostTensor([1], [1]);
const advice = /this is a graph function: call it inside compile\(\.\.\.\).*or use predict/;

/** The LoomError `f` throws (failing the test when it throws anything else or nothing). */
const errorOf = async (f: () => unknown): Promise<LoomError> => {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoomError);
    return e as LoomError;
  }
  throw new Error("expected a LoomError");
};

describe("graph functions given host data", () => {
  it.each([
    ["add", () => add(h as never, 2), "add", "operand"],
    ["add (right)", () => add(2, h as never), "add", "operand"],
    ["relu", () => relu(h as never), "maximum", "operand"],
    ["matmul", () => matmul(h as never, h as never), "matmul", "a"],
    ["conv2d", () => conv2d(h as never, h as never), "conv2d", "x"],
    ["sum", () => sum(h as never), "sum", "operand"],
    ["reshape", () => reshape(h as never, [1]), "reshape", "operand"],
  ])("%s names the op, the host tensor's type and what to do", async (_n, f, op, what) => {
    const e = await errorOf(f);
    expect(e.op).toBe(op);
    expect(e.message).toContain(`${what} is a host tensor f32[1]`);
    expect(e.message).toMatch(advice);
    expect(e.shapes).toEqual([[1]]);
  });

  it("a layer's apply on host params or a host input names the layer and the path", async () => {
    const d = nn.dense(2);
    const params = { w: hostTensor([1, 2], [2, 1]), b: hostTensor([0, 0], [2]) };
    const onHost = await errorOf(() =>
      d.apply(params as never, {}, hostTensor([1, 2], [2, 1]) as never, { training: false }),
    );
    expect(onHost.op).toBe("dense");
    expect(onHost.message).toContain("the input x is a host tensor f32[2,1]");
    expect(onHost.message).toMatch(advice);
    const model = nn.sequential({ fc: d });
    const hostParams = await errorOf(() =>
      model.apply({ fc: params } as never, { fc: {} }, input("x", [2, 1]), { training: false }),
    );
    expect(hostParams.op).toBe("sequential");
    expect(hostParams.message).toContain("params.fc.w is a host tensor f32[2,1]");
  });

  it("a compiled function fed plain numbers says to make host tensors", async () => {
    const f = compile(referenceBackend(), ({ y }) => ({ z: relu(y) }), {
      y: { shape: [2] },
      n: { shape: [], dtype: "int32" },
    });
    const plain = await errorOf(() =>
      f.run({ y: [3, 7], n: hostTensor([1], [], "int32") } as never),
    );
    expect(plain.op).toBe("run");
    expect(plain.message).toContain('input "y" [2] is an array of 2 numbers, not a host tensor');
    expect(plain.message).toContain("hostTensor(values, [2])");
    const typed = await errorOf(() =>
      f.run({ y: hostTensor([3, 7], [2]), n: new Int32Array([1]) } as never),
    );
    expect(typed.message).toContain('input "n" [] is an Int32Array');
    expect(typed.message).toContain('hostTensor(values, [], "int32")');
    const graph = await errorOf(() =>
      f.run({ y: input("y", [2]), n: hostTensor([1], [], "int32") } as never),
    );
    expect(graph.message).toContain('input "y" is a graph tensor');
    // Host tensors still run: the check refuses only what cannot run.
    const out = await f.run({ y: hostTensor([-3, 7], [2]), n: hostTensor([1], [], "int32") });
    expect(Array.from(out.z.data)).toEqual([0, 7]);
  });
});
