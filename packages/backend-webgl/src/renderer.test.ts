import { describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { autoBackend } from "./auto-backend";
import { isSoftwareRenderer } from "./renderer";

describe("isSoftwareRenderer", () => {
  it.each([
    [
      "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)",
      true,
    ],
    ["llvmpipe (LLVM 15.0.6, 256 bits)", true],
    ["Microsoft Basic Render Driver", true],
    ["ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)", false],
    ["Apple M1", false],
    ["Mali-G78", false],
  ])("%s -> %s", (name, software) => expect(isSoftwareRenderer(name)).toBe(software));
});

it("autoBackend picks the CPU backend where there is no WebGL (Node) and says why", () => {
  const auto = autoBackend({ cpu: () => cpuBackend({ threads: 1 }) });
  expect(auto.picked).toBe("cpu");
  expect(auto.reason).toMatch(/WebGL is not usable here: .*canvas/);
  auto.backend.dispose();
});
