/** @loom/testing: what loom's tests share (private; imported by tests only). */
export * from "./rng";
export * from "./backends";
export * from "./compare";
export * from "./fusion-variants";
export * from "./arbitraries";
export * from "./grad-check";
export * from "./random-programs";
export * from "./random-program";
export * from "./train";
export * from "./augment-harness";
export * from "./rejection";
export * from "./moments";
