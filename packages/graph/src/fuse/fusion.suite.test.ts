import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostTensor } from "@loom/ops";
import type { Tensor } from "@loom/ops";
import { add, constant, exp, mul, scalar } from "@loom/ops";
import type { Feeds, Program } from "@loom/testing";
import {
  ALL_BACKENDS,
  buildProgram,
  compareAll,
  describeBackends,
  fuzzRuns,
  iotaArb,
  iotaProgram,
  programArb,
} from "@loom/testing";

// Random programs of elementwise, movement and reduction ops (see @loom/testing's
// random-programs.ts) through the optimised pipeline of every backend (and, where a backend
// lists them, fusion with and without an arena, folding and epilogues off) against the
// unfused reference interpreter: int32 and bool results bit for bit, float results within
// 1e-5 (float64: 1e-12) of the magnitudes involved.

/** Property runs (raise LOOM_FUZZ_RUNS for a longer search). */
const RUNS = fuzzRuns(40);

/** Runs a program on every path of backend `b`; returns the first difference. */
const check = async (b: Parameters<typeof compareAll>[0], prog: Program) => {
  const { fn, specs, feeds, scales } = buildProgram(prog);
  // Tracing (the reference's compile, before any comparison) fills `scales`.
  return compareAll(b, fn, specs, feeds, scales);
};

describe("fused execution agrees with the unfused reference", () => {
  describeBackends(ALL_BACKENDS, (b) => {
    it("on random programs of elementwise, movement and reduction ops", async () => {
      await fc.assert(
        fc.asyncProperty(programArb(b.float64), async (prog) => {
          expect(await check(b, prog)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });

    it("on int32 index arithmetic over iota (multiples that overflow int32 included)", async () => {
      await fc.assert(
        fc.asyncProperty(iotaArb, async (p) => {
          const feeds: Feeds = { x: hostTensor([0], [1]) };
          expect(await compareAll(b, iotaProgram(p), { x: { shape: [1] } }, feeds)).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    });

    it("on a program whose outputs are an input, a constant and a shared intermediate", async () => {
      const fn = ({ x }: Record<string, Tensor>) => {
        const e = exp(x);
        return { x, c: constant([1, 2, 3], [3]), s: scalar(2), e, y: add(e, mul(e, 2)) };
      };
      const feeds: Feeds = { x: hostTensor([0, 1, -1], [3]) };
      expect(await compareAll(b, fn, { x: { shape: [3] } }, feeds)).toBeUndefined();
    });
  });
});
