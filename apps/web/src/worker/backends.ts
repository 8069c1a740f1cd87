import type { Backend } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import { add, compile } from "@loom/ops";
import type { WebBackend, WebglSupport } from "../protocol";
import { detectRenderer, isSoftwareRenderer } from "./renderer";

/**
 * A backend by name. WebGL comes from a dynamic import: a WebGL backend that fails to load or
 * to start (no WebGL2 in workers, no float render targets) only makes WebGL unavailable, while
 * the CPU backend keeps working. In a worker it draws on an OffscreenCanvas of its own.
 */
export const makeBackend = async (name: WebBackend): Promise<Backend> => {
  if (name === "cpu") return cpuBackend();
  const { webglBackend } = await import("@loom/backend-webgl");
  return webglBackend();
};

/**
 * Whether the WebGL backend works here: it must start (WebGL2 on an OffscreenCanvas, with
 * EXT_color_buffer_float) and add two small vectors correctly; the renderer it draws with is
 * named, and flagged when it is a software one.
 */
export const detectWebgl = async (): Promise<WebglSupport> => {
  if (typeof OffscreenCanvas === "undefined")
    return { available: false, reason: "no OffscreenCanvas in this browser's workers" };
  let backend: Backend | undefined;
  try {
    backend = await makeBackend("webgl");
    const f = compile(backend, ({ a }) => ({ y: add(a, a) }), { a: { shape: [4] } });
    const { y } = await f.run({
      a: { data: Float32Array.of(1, 2, 3, 4), shape: [4], dtype: "float32" },
    });
    const got = Array.from(y.data);
    if (got.join() !== "2,4,6,8")
      return { available: false, reason: `self-test gave ${got.join()}, not 2,4,6,8` };
    const renderer = detectRenderer();
    return renderer === undefined
      ? { available: true }
      : { available: true, renderer, software: isSoftwareRenderer(renderer) };
  } catch (e) {
    return { available: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    backend?.dispose();
  }
};
