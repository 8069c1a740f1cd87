import { describe, expect, it } from "vitest";
import { layerPaths } from "./layer-paths";

describe("layerPaths", () => {
  it("names a variable's layer by its path, and optimizer state by the longest layer it ends with", () => {
    expect(
      layerPaths([
        "params.layer1.0.conv1.w",
        "params.conv1.w",
        "state.layer1.0.bn1.mean",
        "params.layer1.0.bn1.gamma",
        "opt.m.layer1.0.conv1.w",
        "opt.v.conv1.w",
        "opt.step",
        "x",
        "params",
      ]),
    ).toEqual([
      "layer1.0.conv1",
      "conv1",
      "layer1.0.bn1",
      "layer1.0.bn1",
      "layer1.0.conv1",
      "conv1",
      undefined,
      undefined,
      undefined,
    ]);
  });
});
