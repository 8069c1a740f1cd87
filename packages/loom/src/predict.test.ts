import { describe, expect, it } from "vitest";
import { hostTensor, nn } from "@loom/ops";
import { predict } from "./index";

describe("the umbrella's predict", () => {
  it("runs on the CPU backend when none is given, and disposes it with the predictor", async () => {
    const run = predict(nn.dense(1), { w: hostTensor([2, -1], [1, 2]), b: hostTensor([0.5], [1]) });
    const y = await run(hostTensor([3, 4, -1, 1], [2, 2]));
    // [3*2 - 4 + 0.5, -1*2 - 1 + 0.5]
    expect(Array.from(y.data)).toEqual([2.5, -2.5]);
    run.dispose();
  });
});
