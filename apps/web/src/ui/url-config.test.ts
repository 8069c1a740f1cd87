import { describe, expect, it } from "vitest";
import { DEFAULT_LR } from "@loom/models";
import { configFromUrl, configToUrl, DEFAULT_CONFIG } from "./url-config";

const DEFAULTS = { ...DEFAULT_CONFIG, lr: 0.001 };

describe("configFromUrl", () => {
  it("gives the defaults for an empty query", () => {
    expect(configFromUrl("", DEFAULT_LR)).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ model: "mlp", optimizer: "adam", lr: 0.001 });
  });

  it("reads every option", () => {
    expect(
      configFromUrl(
        "?model=lenet&backend=webgl&optimizer=sgd&lr=0.05&epochs=2&batch=32&seed=7&limit=500&bn=1&augment=shift:2&schedule=cosine",
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
      batchNorm: true,
      augment: "shift:2",
      schedule: "cosine",
      resume: false,
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

  it("reads back what configToUrl writes, leaving defaults out of the address", () => {
    const c = configFromUrl(
      "?model=resnet20&backend=webgl&optimizer=nesterov&lr=0.02&epochs=7&batch=16&seed=3&limit=99&bn=1&augment=shift:2,rotate:10&schedule=step:0.5:100%2Bwarmup:10",
      DEFAULT_LR,
    );
    expect(c.schedule).toBe("step:0.5:100+warmup:10");
    expect(configFromUrl(configToUrl(c, DEFAULT_LR), DEFAULT_LR)).toEqual(c);
    expect(configToUrl(DEFAULTS, DEFAULT_LR)).toBe("");
    expect(configToUrl({ ...DEFAULTS, model: "lenet", epochs: 1 }, DEFAULT_LR)).toBe(
      "?model=lenet&epochs=1",
    );
    // Continuing a model is not a link: the model is not in the address.
    expect(configToUrl({ ...DEFAULTS, resume: true }, DEFAULT_LR)).toBe("");
  });
});
