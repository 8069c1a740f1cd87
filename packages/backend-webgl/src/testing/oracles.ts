/* eslint-disable no-restricted-imports -- The WebGL backend is tested against the CPU
   backend and on the model zoo's networks. Only its tests import these (never its runtime
   code), so the arrows of DESIGN.md still hold for what ships. */
/** The independent references the WebGL tests compare against, and the networks they train. */
export { cpuBackend, interpretPlan, referenceBackend } from "@loom/backend-cpu";
export { initModel, lenet5, mlp, specsOf, trainStep } from "@loom/models";
export type { ModelVars } from "@loom/models";
