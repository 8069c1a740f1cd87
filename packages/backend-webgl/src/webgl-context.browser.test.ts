import { describe, expect, it } from "vitest";

// What the WebGL backend needs of the browser the tests drive (Debian's Chromium on
// SwiftShader): WebGL2, 32-bit float render targets, and textures big enough for a plan's buffers.
describe("the test browser", () => {
  it("has WebGL2 with float render targets and 4096-texel textures", () => {
    const gl = document.createElement("canvas").getContext("webgl2");
    expect(gl).not.toBeNull();
    expect(gl!.getExtension("EXT_color_buffer_float")).not.toBeNull();
    expect(gl!.getParameter(gl!.MAX_TEXTURE_SIZE)).toBeGreaterThanOrEqual(4096);
  });
});
