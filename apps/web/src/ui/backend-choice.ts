/** How the page offers the WebGL backend, from what the worker found out about it. */
import type { WebglSupport } from "../protocol";

/** The WebGL option's label, and a recommendation to show beside the form when there is one. */
export const webglChoice = (
  support: WebglSupport,
): { readonly label: string; readonly advice?: string } => {
  if (!support.available) return { label: "WebGL2 (not available here)" };
  if (support.software)
    return {
      label: "WebGL2 (software renderer, slower than the CPU)",
      advice: `WebGL here draws with ${support.renderer}, a software renderer that runs on the CPU: the CPU backend trains faster. Use WebGL on a machine with a GPU.`,
    };
  return {
    label:
      support.renderer === undefined
        ? "WebGL2 (GPU, in the worker)"
        : `WebGL2 (GPU: ${support.renderer})`,
  };
};
