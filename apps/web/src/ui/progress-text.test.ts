import { describe, expect, it } from "vitest";
import { clock, progressText } from "./progress-text";

describe("progressText", () => {
  it("shows epoch, steps, the rate since the first step and the time left", () => {
    // 41 steps done, 40 of them in 2 s: 20 steps/s; 286 to go: 14.3 s -> 0:14.
    expect(progressText({ step: 41, totalSteps: 327, epoch: 0, epochs: 3, seconds: 2 })).toEqual({
      fraction: 41 / 327,
      text: "epoch 1/3 · step 41/327 · 20.0 steps/s · 0:14 left",
    });
  });

  it("has no rate before the second step, and ends at 1", () => {
    expect(progressText({ step: 1, totalSteps: 1090, epoch: 0, epochs: 10, seconds: 0 }).text).toBe(
      "epoch 1/10 · step 1/1,090",
    );
    const end = progressText({ step: 327, totalSteps: 327, epoch: 2, epochs: 3, seconds: 16.3 });
    expect(end.fraction).toBe(1);
    expect(end.text).toBe("epoch 3/3 · step 327/327 · 20.0 steps/s · 0:00 left");
  });

  it("formats clocks", () => {
    expect([clock(0), clock(59.4), clock(61), clock(3725)]).toEqual([
      "0:00",
      "0:59",
      "1:01",
      "1:02:05",
    ]);
  });
});
