import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { helpersFor } from "./glsl-helpers";
import { glslConst, glslFloat, glslInt } from "./render-glsl";

/** The float32 value a rendered float constant denotes. */
const valueOf = (glsl: string): number => {
  const bits = /^uintBitsToFloat\(0x([0-9a-f]{8})u\)$/.exec(glsl);
  if (bits === null) return Number(glsl.replace(/[()]/g, ""));
  return new Float32Array(new Uint32Array([parseInt(bits[1]!, 16)]).buffer)[0]!;
};

describe("GLSL constants", () => {
  it.each([0, 1, -3, 16777216, 0.1, -2.5e-7, 3.4e38, 1e-30, Math.PI, Infinity, -Infinity, -0])(
    "float %f renders to exactly its float32 value",
    (v) => {
      const got = valueOf(glslFloat(v));
      expect(Object.is(got, Math.fround(v))).toBe(true);
    },
  );

  it("NaN renders as a NaN bit pattern", () => {
    expect(Number.isNaN(valueOf(glslFloat(NaN)))).toBe(true);
  });

  it("ints render as literals, INT_MIN without overflowing the literal", () => {
    expect(glslInt(42)).toBe("42");
    expect(glslInt(-7)).toBe("(-7)");
    expect(glslInt(-2147483648)).toBe("(-2147483647 - 1)");
  });

  it.each([2147483648, 1.5, NaN, "1; discard" as unknown as number])(
    "refuses %s as a GLSL int (generated code holds only numbers)",
    (v) => {
      expect(() => glslInt(v)).toThrow(LoomError);
    },
  );

  it("refuses non-numbers as float constants", () => {
    expect(() => glslFloat("0.0); discard; (" as unknown as number)).toThrow(LoomError);
  });

  it("bools render as true/false", () => {
    expect(glslConst(1, "bool")).toBe("true");
    expect(glslConst(0, "bool")).toBe("false");
  });

  it("float64 has no GPU type", () => {
    expect(() => glslConst(1, "float64")).toThrow(/CPU backend/);
  });
});

describe("helpersFor", () => {
  it("includes only the helpers named, with what they call, callees first", () => {
    expect(helpersFor("float x = 1.0;")).toBe("");
    const src = helpersFor("o = l_tanh(x);");
    const order = ["l_isnan", "l_inf", "l_exp2i", "l_exp", "l_tanh"].map((n) =>
      src.indexOf(`${n}(`),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(src).not.toContain("l_threefry");
  });
});
