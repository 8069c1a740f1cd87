import { expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { autoBackend } from "./auto-backend";
import { webglBackend } from "./webgl-backend";

// The test browser is Chromium with WebGL2 on SwiftShader: a software renderer, reported as
// such, so autoBackend picks the CPU unless told to allow software.

it("reports SwiftShader as a software renderer", () => {
  const gl = webglBackend();
  try {
    expect(gl.renderer.renderer).toMatch(/swiftshader/i);
    expect(gl.renderer.software).toBe(true);
  } finally {
    gl.dispose();
  }
});

it("picks the CPU backend on a software renderer and says why, WebGL when allowed", () => {
  const auto = autoBackend({ cpu: () => cpuBackend({ threads: 1 }) });
  expect(auto.picked).toBe("cpu");
  expect(auto.backend.name).toMatch(/cpu/);
  expect(auto.reason).toMatch(/software renderer \(.*swiftshader.*\)/i);
  auto.backend.dispose();
  const soft = autoBackend({ cpu: () => cpuBackend({ threads: 1 }), allowSoftware: true });
  expect([soft.picked, soft.backend.name]).toEqual(["webgl", "webgl"]);
  soft.backend.dispose();
});
