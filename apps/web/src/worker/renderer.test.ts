import { describe, expect, it } from "vitest";
import { isSoftwareRenderer } from "./renderer";

describe("isSoftwareRenderer", () => {
  it("knows the software rasterizers by the names browsers report", () => {
    const software = [
      "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)",
      "Google SwiftShader",
      "llvmpipe (LLVM 15.0.6, 256 bits)",
      "Mesa softpipe",
      "ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0)",
    ];
    expect(software.filter((r) => !isSoftwareRenderer(r))).toEqual([]);
  });

  it("takes GPUs for GPUs", () => {
    const gpus = [
      "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)",
      "Apple M1",
      "Mali-G78",
      "ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)",
      "Adreno (TM) 640",
    ];
    expect(gpus.filter(isSoftwareRenderer)).toEqual([]);
  });
});
