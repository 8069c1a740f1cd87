import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { fromJson, LoomError, toJson } from "@loom/graph";
import type { Tensor } from "./core";
import { compile, trace } from "./compile";
import { hostTensor } from "./host";
import { add } from "./api/elementwise";
import { flattenTree, mapTree, unflattenTree } from "./pytree";
import { isTensor } from "./core";
import { primitives } from "./table";

// Before: symbol names equal to Object.prototype members failed with "symbol toString is
// function toString() ..." or a TypeError, outputs named __proto__ came back as a prototype,
// and a missing feed named toString was read from Object.prototype.
const NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty"] as const;

describe.each(NAMES)("the name %s", (name) => {
  const backend = cpuBackend();

  it("names an input, an output and a tree path", async () => {
    const specs = JSON.parse(`{"${name}": {"shape": [2]}}`) as Record<string, { shape: number[] }>;
    const c = compile(
      backend,
      (i: Record<string, Tensor>) => Object.fromEntries([[name, add(i[name]!, 1)]]),
      specs,
    );
    const feeds = Object.fromEntries([[name, hostTensor([1, 2], [2])]]);
    const out = (await c.run(feeds)) as Record<string, { data: Float32Array }>;
    expect(Object.hasOwn(out, name)).toBe(true);
    expect(Array.from(out[name]!.data)).toEqual([2, 3]);
  });

  it("is a symbolic dim", async () => {
    const c = compile(backend, ({ x }: { x: Tensor }) => ({ y: add(x, 1) }), {
      x: { shape: [name, 2] },
    });
    const y = await c.run({ x: hostTensor([1, 2, 3, 4], [2, 2]) });
    expect(y.y.shape).toEqual([2, 2]);
    expect(Array.from(y.y.data)).toEqual([2, 3, 4, 5]);
  });

  it("is a missing feed", async () => {
    const specs = Object.fromEntries([[name, { shape: [2] }]]);
    const c = compile(backend, (i: Record<string, Tensor>) => ({ y: add(i[name]!, 1) }), specs);
    await expect(c.run({})).rejects.toThrow(/no value fed for input/);
  });

  it("is an op name in JSON", () => {
    const j = toJson(
      trace(({ x }: { x: Tensor }) => ({ y: add(x, 1) }), { x: { shape: [2] } }).graph,
    );
    const bad = {
      ...j,
      nodes: j.nodes.map((n, i) => (i === j.nodes.length - 1 ? { ...n, op: name } : n)),
    };
    const r = fromJson(primitives, bad);
    expect(r._tag).toBe("Left");
    if (r._tag === "Left") {
      expect(r.left).toBeInstanceOf(LoomError);
      expect(r.left.code).toBe("unknown_op");
    }
  });

  it("is a pytree key", () => {
    const tree = Object.fromEntries([[name, { w: 1 }]]);
    const leaf = (x: unknown): x is number => typeof x === "number";
    const flat = flattenTree(tree, leaf);
    expect(flat).toEqual([{ path: `${name}.w`, leaf: 1 }]);
    const back = unflattenTree(tree, leaf, Object.fromEntries([[`${name}.w`, 5]]));
    expect(Object.hasOwn(back as object, name)).toBe(true);
    expect(
      flattenTree(
        mapTree(tree, leaf, (v) => v + 1),
        leaf,
      ),
    ).toEqual([{ path: `${name}.w`, leaf: 2 }]);
    expect(() => unflattenTree({ a: 1 }, leaf, {})).toThrow(/no leaf for "a"/);
    expect(() => unflattenTree(Object.fromEntries([[name, 1]]), leaf, {})).toThrow(/no leaf/);
    expect(isTensor(tree)).toBe(false);
  });
});
