import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { constant, input, scalar } from "./core";
import { hostTensor } from "./host";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "./core";
import { compile } from "./compile";
import { add, broadcastTo, mul } from "./api/elementwise";
import { sum } from "./api/reduce";

/** Expects `f` to throw a LoomError whose message matches every pattern. */
const refuses = (f: () => unknown, ...patterns: RegExp[]) => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LoomError);
  for (const p of patterns) expect((caught as Error).message).toMatch(p);
};

// Before: hostTensor(..., "float16") and add(x, undefined) were TypeErrors, constant("abc")
// a tensor of NaN, and int32 constants 1e10 and 1.5 wrapped or truncated silently.
describe("bad values are LoomErrors naming the op and the value", () => {
  it("an unknown dtype", () => {
    refuses(() => hostTensor([1], [1], "float16" as never), /hostTensor/, /float16/);
    refuses(() => constant(1, [], "float16" as never), /constant/, /float16/);
  });

  it("an operand that is neither a tensor nor a number", () => {
    const x = input("x", [2]);
    refuses(() => add(x, undefined as never), /add/, /undefined/);
    refuses(() => mul("2" as never, x), /mul/, /"2"/);
  });

  it("constants that are not numbers", () => {
    refuses(() => constant("abc" as never), /constant/, /"abc"/);
    refuses(() => constant([1, "x"] as never), /constant/, /"x"/);
    refuses(() => constant(undefined as never), /constant/, /undefined/);
  });

  it("int32 constants out of range or fractional", () => {
    refuses(() => constant(1e10, [], "int32"), /constant/, /10000000000/, /int32/);
    refuses(() => scalar(1.5, "int32"), /constant/, /1\.5/, /int32/);
    refuses(() => constant([1, 2 ** 32], [2], "int32"), /4294967296/);
    refuses(() => constant(-(2 ** 31) - 1, [], "int32"), /-2147483649/);
    refuses(() => hostTensor([0.5], [1], "int32"), /hostTensor/, /0\.5/);
    expect(constant([-(2 ** 31), 2 ** 31 - 1], [2], "int32").shape).toEqual([2]);
    // An unsigned 32-bit word is an int32 bit pattern, as `| 0` reads it.
    expect(Array.from(hostTensor([0xdeadbeef], [1], "int32").data)).toEqual([0xdeadbeef | 0]);
  });

  it("ordinary values still work", () => {
    expect(constant(Number.NaN).dtype).toBe("float32");
    expect(hostTensor(new Float32Array([1.5]), [1]).data[0]).toBe(1.5);
    expect(scalar(3, "int32").dtype).toBe("int32");
  });
});

// Before: 2^31 elements failed with "Invalid array length" after 31 s, and a 2^60-element sum hung.
describe("element counts are bounded", () => {
  it("refuses a tensor over 2^31-1 elements when it is built, with the size", () => {
    const x = input("x", [1]);
    refuses(() => broadcastTo(x, [2 ** 16, 2 ** 15]), /broadcast/, /2,147,483,648 elements/);
    refuses(() => sum(broadcastTo(x, [2 ** 30, 2 ** 30])), /1,152,921,504,606,846,976/);
    expect(broadcastTo(x, [2 ** 16, 2 ** 15 - 1]).shape).toEqual([2 ** 16, 2 ** 15 - 1]);
  });

  it("refuses it when symbolic dims are bound at compile time", async () => {
    const backend = cpuBackend();
    const c = compile(
      backend,
      ({ x }: { x: Tensor }) => ({ y: sum(broadcastTo(x, ["N", 2 ** 30])) }),
      { x: { shape: ["N", 1] } },
    );
    await expect(c.run({ x: hostTensor([1, 2, 3, 4], [4, 1]) })).rejects.toThrow(
      /4,294,967,296 elements/,
    );
    backend.dispose();
  });
});
