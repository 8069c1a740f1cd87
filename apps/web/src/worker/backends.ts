import type { Backend } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import { add, compile } from "@loom/ops";
import type { WebBackend, WebglSupport } from "../protocol";
import type { WebGLBackend } from "@loom/backend-webgl";

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
 * Whether the WebGL backend works here, as `autoBackend` sees it: it must start (WebGL2 on an
 * OffscreenCanvas, with EXT_color_buffer_float) and add two small vectors correctly. A
 * software renderer is still offered (the user may want to see WebGL run), flagged so the page
 * recommends the CPU backend, which is what `autoBackend` picks there on its own.
 */
export const detectWebgl = async (): Promise<WebglSupport> => {
  let backend: Backend | undefined;
  try {
    const { autoBackend } = await import("@loom/backend-webgl");
    const choice = autoBackend({ cpu: () => cpuBackend({ threads: 1 }), allowSoftware: true });
    backend = choice.backend;
    if (choice.picked === "cpu") return { available: false, reason: choice.reason };
    const f = compile(backend, ({ a }) => ({ y: add(a, a) }), { a: { shape: [4] } });
    const { y } = await f.run({
      a: { data: Float32Array.of(1, 2, 3, 4), shape: [4], dtype: "float32" },
    });
    const got = Array.from(y.data);
    if (got.join() !== "2,4,6,8")
      return { available: false, reason: `self-test gave ${got.join()}, not 2,4,6,8` };
    const { renderer, software } = (backend as WebGLBackend).renderer;
    return { available: true, renderer, software };
  } catch (e) {
    return { available: false, reason: e instanceof Error ? e.message : String(e) };
  } finally {
    backend?.dispose();
  }
};
