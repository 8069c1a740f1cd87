import { describe, expect, it } from "vitest";
import type { Dim } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { input } from "../core";
import { avgPool2d, conv2d, convOutputSize, matmul, maxPool2d } from "./nn";

// Graph construction only: shapes and attributes of the nodes the public functions build.

describe("public nn API", () => {
  const t = (name: string, ...shape: Dim[]) => input(name, shape);

  it("matmul follows NumPy: vector promotion and batch broadcasting", () => {
    expect(matmul(t("a", 3), t("b", 3)).shape).toEqual([]);
    expect(matmul(t("a", 2, 3), t("b", 3)).shape).toEqual([2]);
    expect(matmul(t("a", 3), t("b", 3, 4)).shape).toEqual([4]);
    expect(matmul(t("a", 3), t("b", 5, 3, 4)).shape).toEqual([5, 4]);
    expect(matmul(t("a", 5, 1, 2, 3), t("b", 4, 3, 6)).shape).toEqual([5, 4, 2, 6]);
    expect(matmul(t("a", "N", 2, 3), t("b", 3, 4)).shape).toEqual(["N", 2, 4]);
  });

  it("matmul reports the caller's shapes", () => {
    expect(() => matmul(t("a", 32, 784), t("b", 512, 10))).toThrow(
      /^matmul: inner dims differ: \[32,784\] x \[512,10\]/,
    );
    expect(() => matmul(t("a", 2, 3, 4), t("b", 3, 4, 5))).toThrow(LoomError);
    expect(() => matmul(t("a"), t("b", 3))).toThrow(LoomError);
  });

  it("conv2d expands numbers and resolves same/valid padding", () => {
    const x = t("x", "N", 2, 7, 8);
    expect(conv2d(x, t("w", 4, 2, 3, 3)).attrs).toEqual({
      stride: [1, 1],
      pad: [0, 0, 0, 0],
      dilation: [1, 1],
      groups: 1,
    });
    expect(conv2d(x, t("w", 4, 2, 4, 4), { padding: "same" }).attrs["pad"]).toEqual([1, 2, 1, 2]);
    const strided = conv2d(x, t("w", 4, 2, 3, 3), { padding: "same", stride: 2 });
    expect(strided.attrs["pad"]).toEqual([1, 1, 0, 1]); // H: ceil(7/2)=4, total 2; W: 4, total 1
    expect(strided.shape).toEqual(["N", 4, 4, 4]);
    const dil = conv2d(x, t("w", 4, 2, 3, 3), { padding: "same", dilation: [2, 1] });
    expect(dil.attrs["pad"]).toEqual([2, 2, 1, 1]);
    expect(dil.shape).toEqual(["N", 4, 7, 8]);
    expect(conv2d(x, t("w", 4, 1, 3, 3), { padding: [1, 2], groups: 2 }).attrs["pad"]).toEqual([
      1, 1, 2, 2,
    ]);
    expect(conv2d(x, t("w", 4, 2, 3, 3), { padding: "valid" }).shape).toEqual(["N", 4, 5, 6]);
  });

  it("convOutputSize is the sliding-window count", () => {
    expect(convOutputSize(28, 5, 1, 0, 0, 1)).toBe(24);
    expect(convOutputSize(224, 7, 2, 3, 3, 1)).toBe(112);
    expect(convOutputSize(7, 3, 2, 1, 0, 2)).toBe(2);
    expect(convOutputSize(4, 5, 1, 0, 0, 1)).toBe(0);
  });

  it("pooling defaults the stride to the kernel", () => {
    const x = t("x", 2, 3, 8, 9);
    const m = maxPool2d(x, { kernel: 2 });
    expect(m.attrs).toEqual({ kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] });
    expect(m.shape).toEqual([2, 3, 4, 4]);
    const a = avgPool2d(x, { kernel: 3, stride: 2, padding: 1 });
    expect(a.attrs).toEqual({
      kernel: [3, 3],
      stride: [2, 2],
      pad: [1, 1, 1, 1],
      countIncludePad: true,
    });
    expect(a.shape).toEqual([2, 3, 4, 5]);
  });

  it("throws LoomErrors, never TypeErrors, on malformed options", () => {
    const x = t("x", 1, 2, 7, 8);
    const w = t("w", 4, 2, 3, 3);
    const bad: (() => unknown)[] = [
      () => conv2d(x, w, { stride: "2" as never }),
      () => conv2d(x, w, { padding: [1, 2, 3] as never }),
      () => conv2d(x, w, { padding: [1, "a"] as never }),
      () => conv2d(x, w, { groups: 3 }),
      () => maxPool2d(x, {} as never),
      () => maxPool2d(x, { kernel: 0 }),
      () => avgPool2d(x, { kernel: 2, countIncludePad: "yes" as never }),
    ];
    for (const f of bad) expect(f).toThrow(LoomError);
  });
});
