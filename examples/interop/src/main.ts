/**
 * Checkpoints and PyTorch: a zoo model's variables written as a PyTorch state dict
 * (safetensors, torchvision's names), read back into loom, and the two checked equal; a
 * loom checkpoint written and read back with `meta`. `tsx src/main.ts [model]` (default lenet).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as loom from "@loom/loom";
import type { HostTensor, Tree } from "@loom/loom";
import { loadCheckpoint, saveCheckpoint } from "@loom/models/node";

const name = process.argv[2] ?? "lenet";
const dir = mkdtempSync(join(tmpdir(), "loom-interop-"));

// #region names
// A zoo model and its tensors' PyTorch names, in state_dict() order.
const model = loom.torchModel(name);
for (const e of loom.torchNameTable(model).slice(0, 4))
  console.log(`${e.torch.padEnd(16)} <- loom ${e.tree}.${e.path}`);
// #endregion names

// #region to-torch
// loom -> PyTorch: `safetensors.torch.load_file` reads this file, `load_state_dict` takes it.
const backend = loom.cpuBackend();
const vars = await loom.initModel(backend, model.layer, 0, { shape: [1, ...model.input] });
const torchFile = join(dir, `${name}.torch.safetensors`);
writeFileSync(torchFile, loom.writeTorchStateDict(loom.toTorchStateDict(model, vars)));
// #endregion to-torch

// #region from-torch
// PyTorch -> loom: every name, dtype and shape is checked before anything is copied.
const stateDict = loom.readTorchStateDict(readFileSync(torchFile));
const back = loom.fromTorchStateDict(model, stateDict);
// #endregion from-torch

// #region checkpoint
// A loom checkpoint: params, state, optional optimizer state and step, and free-form strings.
const file = join(dir, `${name}.safetensors`);
await saveCheckpoint(file, { ...back, step: 0, meta: { model: name } });
const loaded = await loadCheckpoint(file, vars);
console.log(`checkpoint: model ${loaded.meta["model"]}, step ${loaded.step}`);
// #endregion checkpoint

const values = (t: Tree<HostTensor>) =>
  loom.flattenTree(t, loom.isHostTensor).flatMap(({ path, leaf }) => [path, ...leaf.data]);
const same = JSON.stringify(values(vars.params)) === JSON.stringify(values(loaded.params));
console.log(`${Object.keys(stateDict).length} tensors; round trip ${same ? "exact" : "DIFFERS"}`);
rmSync(dir, { recursive: true, force: true });
backend.dispose();
