import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Backend, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "@loom/ops";
import { compile, isHostTensor, mapTree } from "@loom/ops";
import type { ImportedModel } from "../import/import-model";
import { applyTree, importModel } from "../import/import-model";
import type { ModelProto } from "../proto";
import { mismatch } from "./compare";

/** The outcome of one backend test: passed, failed (with why), or unsupported (with why). */
export interface CaseResult {
  readonly name: string;
  readonly group: string;
  /** The distinct op types of the test's model. */
  readonly ops: readonly string[];
  readonly status: "passed" | "failed" | "unsupported";
  readonly message?: string;
}

/** One test: a model, and data sets of inputs (in graph-input order) and expected outputs. */
export interface BackendCase {
  readonly name: string;
  readonly group: string;
  readonly model: ModelProto;
  readonly dataSets: readonly {
    readonly inputs: readonly HostTensor[];
    readonly outputs: readonly HostTensor[];
  }[];
}

const isFloatHost = (h: HostTensor) => h.dtype === "float32" || h.dtype === "float64";

/** Imports the model with `constants` fixed and runs it on the rest of the inputs. */
const runWith = async (
  backend: Backend,
  model: ModelProto,
  names: readonly string[],
  inputs: readonly HostTensor[],
  fix: (h: HostTensor) => boolean,
): Promise<E.Either<LoomError, Record<string, HostTensor>>> => {
  const constants = Object.fromEntries(
    names.flatMap((k, i) => (fix(inputs[i]!) ? [[k, inputs[i]!]] : [])),
  );
  const feeds = Object.fromEntries(
    names.flatMap((k, i) => (fix(inputs[i]!) ? [] : [[k, inputs[i]!]])),
  );
  const imported = importModel(model, { constants });
  if (E.isLeft(imported)) return imported;
  const m: ImportedModel = imported.right;
  try {
    const specs: Tree<TensorSpec> = {
      params: mapTree(m.params, isHostTensor, (h) => ({ shape: h.shape, dtype: h.dtype })),
      inputs: Object.fromEntries(
        Object.entries(feeds).map(([k, h]) => [k, { shape: h.shape, dtype: h.dtype }]),
      ),
    };
    const fn = compile(backend, (x: Tree<Tensor>) => applyTree(m, x), specs);
    const out = (await fn.run({ params: m.params, inputs: feeds })) as Record<string, HostTensor>;
    fn.dispose();
    return E.right(out);
  } catch (e) {
    if (e instanceof LoomError) return E.left(e);
    return E.left(
      new LoomError("invalid_graph", "onnx-test", e instanceof Error ? e.message : String(e)),
    );
  }
};

/**
 * Runs one backend test: float inputs are fed to the compiled graph, integer and bool inputs
 * are fixed as constants (ops such as Reshape need their values when the graph is built);
 * when even that leaves an op needing a value, every input is fixed.
 */
export const runCase = async (backend: Backend, c: BackendCase): Promise<CaseResult> => {
  const ops = [...new Set((c.model.graph?.node ?? []).map((n) => n.opType ?? ""))].sort();
  const base = { name: c.name, group: c.group, ops };
  const inits = new Set((c.model.graph?.initializer ?? []).map((t) => t.name ?? ""));
  const names = (c.model.graph?.input ?? []).map((v) => v.name ?? "").filter((k) => !inits.has(k));
  const outNames = (c.model.graph?.output ?? []).map((v) => v.name ?? "");
  for (const ds of c.dataSets) {
    const first = await runWith(backend, c.model, names, ds.inputs, (h) => !isFloatHost(h));
    const result =
      E.isLeft(first) &&
      first.left.code === "unsupported" &&
      /must be known/.test(first.left.message)
        ? await runWith(backend, c.model, names, ds.inputs, () => true)
        : first;
    if (E.isLeft(result)) {
      const status = result.left.code === "unsupported" ? "unsupported" : "failed";
      return { ...base, status, message: result.left.message };
    }
    const bad = pipe(
      outNames.map((k, i) => {
        const exp = ds.outputs[i];
        const act = result.right[k];
        if (exp === undefined) return undefined;
        if (act === undefined) return `output ${k} missing`;
        const why = mismatch(act, exp);
        return why === undefined ? undefined : `output ${k}: ${why}`;
      }),
      (ms) => ms.find((m) => m !== undefined),
    );
    if (bad !== undefined) return { ...base, status: "failed", message: bad };
  }
  return { ...base, status: "passed" };
};
