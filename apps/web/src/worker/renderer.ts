/**
 * Which renderers are software rasterizers (SwiftShader, llvmpipe, WARP's "Basic Render"): the
 * WebGL backend names its renderer (`webglBackend().renderer`) and `autoBackend` decides with
 * this rule, so the page shares it rather than keeping a second list.
 */
export { isSoftwareRenderer } from "@loom/backend-webgl";
