import { describe, expect, it } from "vitest";
import { DEFAULT_LR } from "@loom/models";
import { configFromUrl, DEFAULT_CONFIG } from "./url-config";

const DEFAULTS = { ...DEFAULT_CONFIG, lr: 0.001 };

describe("configFromUrl", () => {
  it("gives the defaults for an empty query", () => {
    expect(configFromUrl("", DEFAULT_LR)).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ model: "mlp", optimizer: "adam", lr: 0.001 });
  });

  it("reads every option", () => {
    expect(
      configFromUrl(
        "?model=lenet&backend=webgl&optimizer=sgd&lr=0.05&epochs=2&batch=32&seed=7&limit=500",
        DEFAULT_LR,
      ),
    ).toEqual({
      model: "lenet",
      backend: "webgl",
      optimizer: "sgd",
      lr: 0.05,
      epochs: 2,
      batchSize: 32,
      seed: 7,
      limit: 500,
    });
  });

  it("takes the optimizer's default learning rate, and ignores values that do not parse", () => {
    expect(configFromUrl("?optimizer=momentum", DEFAULT_LR).lr).toBe(0.01);
    expect(configFromUrl("?optimizer=sgd", DEFAULT_LR).lr).toBe(0.1);
    const c = configFromUrl(
      "?model=resnet50&backend=tpu&optimizer=toString&lr=-1&epochs=1.5&batch=0&seed=x&limit=-3",
      DEFAULT_LR,
    );
    expect(c).toEqual(DEFAULTS);
  });
});
