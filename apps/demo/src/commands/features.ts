import type { Command } from "commander";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { activationNames, batchOf, forwardWithActivations, loadMnist } from "@loom/models";
import { writeFileAtomic } from "@loom/models/node";
import { checkBackend, DEFAULT_BACKEND, pickBackend } from "../backends";
import type { CliIo } from "../cli-io";
import type { CliOptions } from "../cli-options";
import { checkPngOutputs } from "../output-paths";
import { gridPng } from "../png-grid";
import { nonNegativeInt } from "./parse-options";
import { loadForInference } from "./run-checkpoint";

type FeaturesOptions = {
  checkpoint: string;
  image: number;
  layer: string;
  out: string;
  filters?: string;
  overwrite: boolean;
  backend: string;
};

/** Where the first-layer filters go: `--filters`, else `<out>-filters.png`. */
const filtersPath = (o: FeaturesOptions): string =>
  o.filters ?? o.out.replace(/(\.png)?$/, "-filters.png");

/** The first conv weight of a model, [O, I, KH, KW], found by path ("conv1.w" first, else the first 4-d param). */
const firstFilters = (params: unknown): { path: string; w: HostTensor } | undefined => {
  const found: { path: string; w: HostTensor }[] = [];
  const walk = (x: unknown, path: string) => {
    if (typeof x !== "object" || x === null) return;
    if ("data" in x && "shape" in x) {
      const t = x as HostTensor;
      if (t.shape.length === 4) found.push({ path, w: t });
      return;
    }
    for (const [k, v] of Object.entries(x)) walk(v, path === "" ? k : `${path}.${k}`);
  };
  walk(params, "");
  return found[0];
};

/**
 * Runs `loom features`: the feature maps of one layer for one test digit, and the first-layer
 * filters, as PNG grids, each written atomically. The output paths are checked before anything
 * is loaded: neither may be the checkpoint (or a link to it), nor replace a file that is not a
 * PNG without `--overwrite`.
 */
export const runFeatures = async (
  o: FeaturesOptions,
  io: CliIo,
  options: CliOptions = {},
): Promise<void> => {
  checkBackend(o.backend);
  checkPngOutputs({
    op: "features",
    inputs: [["--checkpoint", o.checkpoint]],
    outputs: [
      ["--out", o.out],
      ["--filters", filtersPath(o)],
    ],
    overwrite: o.overwrite,
  });
  const { config, vars, layer } = await loadForInference(o.checkpoint);
  if (options.dryRun) return;
  const backend = pickBackend(o.backend, io.err);
  const { test } = loadMnist();
  if (o.image >= test.count)
    throw new LoomError("invalid_argument", "features", `--image must be below ${test.count}`);
  const names = activationNames(layer, vars, test.shape);
  if (!names.includes(o.layer)) {
    throw new LoomError(
      "invalid_argument",
      "features",
      `${config.model} has no layer ${JSON.stringify(o.layer)}; its layers: ${names.join(", ")}`,
    );
  }
  const { x, y } = batchOf(test, [o.image]);
  const { logits, activations } = await forwardWithActivations(backend, layer, vars, x, [o.layer]);
  const a = activations[o.layer]!;
  if (a.shape.length !== 4) {
    throw new LoomError(
      "invalid_argument",
      "features",
      `${o.layer} is ${JSON.stringify(a.shape)}, not a [1,C,H,W] feature map; pick a conv, activation or pooling layer`,
    );
  }
  const [, c, h, w] = a.shape as [number, number, number, number];
  await writeFileAtomic(
    o.out,
    gridPng(a.data, c, h, w, { scale: Math.max(2, Math.round(112 / h)) }),
  );
  const predicted = Array.from(logits.data).reduce(
    (best, v, i, arr) => (v > arr[best]! ? i : best),
    0,
  );
  io.out(
    `${o.layer}: ${c} maps of ${h}x${w} for test digit ${o.image} (label ${y.data[0]}, predicted ${predicted}) -> ${o.out}\n`,
  );
  const filters = firstFilters(vars.params);
  if (filters !== undefined) {
    const [oc, ic, kh, kw] = filters.w.shape as [number, number, number, number];
    const path = filtersPath(o);
    await writeFileAtomic(
      path,
      gridPng(filters.w.data, oc * ic, kh, kw, {
        scale: 12,
        cols: Math.max(ic, Math.ceil(Math.sqrt(oc * ic))),
      }),
    );
    io.out(`${filters.path}: ${oc}x${ic} filters of ${kh}x${kw} -> ${path}\n`);
  }
};

/** Adds `loom features`. */
export const registerFeatures = (program: Command, io: CliIo, options: CliOptions = {}): Command =>
  program
    .command("features")
    .description(
      "draw the feature maps of a layer for one test digit, and the learned first-layer filters, as PNG grids",
    )
    .requiredOption("-c, --checkpoint <file>", "a checkpoint written by loom train")
    .option("--image <i>", "index of the test digit", nonNegativeInt(), 0)
    .option("--layer <name>", "the activation to draw (e.g. conv1, act1, pool2)", "conv1")
    .option("--out <file>", "the PNG to write", "features.png")
    .option(
      "--filters <file>",
      "where to write the first-layer filters (default: <out>-filters.png)",
    )
    .option("--overwrite", "replace existing output files that are not PNGs", false)
    .option("--backend <name>", "backend", DEFAULT_BACKEND)
    .action((opts: FeaturesOptions) => runFeatures(opts, io, options));
