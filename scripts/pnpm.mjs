#!/usr/bin/env node
// Runs the pnpm version pinned in package.json: the global `pnpm` when it is that
// version, otherwise `npx -y pnpm@<version>`, so a machine with only node+npm works.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
const wanted = /^pnpm@(\d+\.\d+\.\d+)/.exec(packageManager ?? "")?.[1];
if (wanted === undefined) {
  console.error(`scripts/pnpm.mjs: package.json has no "packageManager": "pnpm@x.y.z"`);
  process.exit(1);
}

const args = process.argv.slice(2);
const isWindows = process.platform === "win32";
const run = (cmd, argv) =>
  spawnSync(cmd, argv, { stdio: "inherit", shell: isWindows, env: process.env });

const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8", shell: isWindows });
const globalVersion = probe.status === 0 ? probe.stdout.trim() : undefined;

const result =
  globalVersion === wanted ? run("pnpm", args) : run("npx", ["-y", `pnpm@${wanted}`, ...args]);

if (result.error !== undefined) {
  console.error(`scripts/pnpm.mjs: ${result.error.message}`);
  process.exit(1);
}
if (result.signal !== null) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
