import { describe, expect, it } from "vitest";
import { webglChoice } from "./backend-choice";

describe("webglChoice", () => {
  it("recommends the CPU when WebGL draws in software, naming the renderer", () => {
    const swiftshader =
      "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)";
    const c = webglChoice({ available: true, renderer: swiftshader, software: true });
    expect(c.label).toBe("WebGL2 (software renderer, slower than the CPU)");
    expect(c.advice).toContain(swiftshader);
    expect(c.advice).toMatch(/the CPU backend trains faster/);
  });

  it("offers a GPU as a GPU, and says when WebGL is missing", () => {
    expect(webglChoice({ available: true, renderer: "Apple M1", software: false })).toEqual({
      label: "WebGL2 (GPU: Apple M1)",
    });
    expect(webglChoice({ available: false, reason: "no WebGL2" })).toEqual({
      label: "WebGL2 (not available here)",
    });
  });
});
