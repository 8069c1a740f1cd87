import { describe, expectTypeOf, it } from "vitest";
import type { nn, Tensor } from "@loom/ops";
import { alexnet } from "./alexnet";
import { lenet5 } from "./lenet";
import { perceptron } from "./perceptron";

// Type-level: the zoo's fixed-architecture models carry their parameter trees, so a user reads
// `params.conv1.w` with no cast (a misspelt layer is a compile error).
describe("the zoo's models are typed with their parameter trees", () => {
  it("perceptron, LeNet-5 and AlexNet name their layers' params", () => {
    expectTypeOf<nn.ParamsOf<ReturnType<typeof perceptron>>["fc"]["w"]>().toEqualTypeOf<Tensor>();
    type LeNet = nn.ParamsOf<ReturnType<typeof lenet5>>;
    expectTypeOf<LeNet["conv1"]["w"]>().toEqualTypeOf<Tensor>();
    // A dense layer's bias is optional (`bias: false`).
    expectTypeOf<LeNet["fc3"]["b"]>().toEqualTypeOf<Tensor | undefined>();
    type Alex = nn.ParamsOf<ReturnType<typeof alexnet>>;
    expectTypeOf<Alex["features"]["conv5"]["w"]>().toEqualTypeOf<Tensor>();
    expectTypeOf<Alex["classifier"]["fc3"]["w"]>().toEqualTypeOf<Tensor>();
    // @ts-expect-error LeNet-5 has no layer fc4
    expectTypeOf<LeNet["fc4"]>().toBeObject();
  });
});
