import type { DType } from "../dtype";
import type { Expr } from "../expr";
import { linearize } from "../expr";
import type { BufferInfo, Plan } from "../plan";

// Test oracles of the memory planner, imported only by tests (not exported by the package).
// They re-derive sizes, live ranges and in-place eligibility in their own plain way, so that
// a planner bug is not hidden by a checker sharing its code.

/** Bytes per element, restated rather than imported from dtype.ts. */
export const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
/** Element count of a shape. */
export const count = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
/** Unaligned bytes of a buffer. */
export const sizeOf = (b: BufferInfo) => count(b.shape) * BYTES[b.dtype];
/** The row-major flat index of the output element, as lowering builds it. */
export const flatIndex = (shape: readonly number[]): Expr =>
  linearize(
    shape.map((_, axis): Expr => ({ kind: "index", axis, dtype: "int32" })),
    shape,
  );
/** Output index component `axis`. */
export const ix = (axis: number): Expr => ({ kind: "index", axis, dtype: "int32" });
/** A load of kernel input `input` at `at`. */
export const load = (input: number, at: Expr, dtype: DType = "float32"): Expr => ({
  kind: "load",
  input,
  at,
  dtype,
});

/** Birth and death steps: -1 before the first kernel, K after the last. */
export const lifetimes = (plan: Plan) => {
  const K = plan.kernels.length;
  const outs = new Set(Object.values(plan.outputs));
  const fed = new Set(Object.values(plan.inputs));
  return plan.buffers.map((b, id) => {
    let born = b.kind === "temp" && !fed.has(id) ? K : -1;
    let dies = -Infinity;
    plan.kernels.forEach((k, t) => {
      if (k.out === id) born = Math.min(born, t);
      const reads = k.kind === "library" ? [...k.inputs, ...(k.epilogue?.inputs ?? [])] : k.inputs;
      if (reads.includes(id)) dies = Math.max(dies, t);
    });
    dies = Math.max(dies, born);
    if (b.kind === "constant" || outs.has(id)) dies = K;
    return { born, dies };
  });
};

/** Every load in an expression, nested ones included. */
export const loadsOf = (e: Expr): Extract<Expr, { kind: "load" }>[] => {
  if (e.kind === "load") return [e, ...loadsOf(e.at)];
  if (e.kind === "alu") return e.args.flatMap(loadsOf);
  if (e.kind === "reduce") return loadsOf(e.body);
  return [];
};

/** Whether `b` may legally share bytes with `a`: written in place over it by one expr kernel. */
export const legalInPlace = (
  plan: Plan,
  life: ReturnType<typeof lifetimes>,
  a: number,
  b: number,
) => {
  const t = plan.kernels.findIndex((k) => k.out === b);
  const k = plan.kernels[t];
  const [x, y] = [plan.buffers[a]!, plan.buffers[b]!];
  if (k === undefined || k.kind !== "expr" || x.slot !== y.slot) return false;
  if (life[a]!.dies !== t || life[b]!.born !== t || x.kind === "constant") return false;
  if (Object.values(plan.outputs).includes(a)) return false;
  if (x.shape.join() !== k.shape.join() || BYTES[x.dtype] !== BYTES[y.dtype]) return false;
  const want = JSON.stringify(flatIndex(k.shape));
  return loadsOf(k.expr).every((l) => k.inputs[l.input] !== a || JSON.stringify(l.at) === want);
};

/** All violations of "live buffers never share a byte", by brute force over pairs. */
export const overlaps = (plan: Plan): string[] => {
  const life = lifetimes(plan);
  const bad: string[] = [];
  plan.buffers.forEach((x, a) =>
    plan.buffers.forEach((y, b) => {
      if (b <= a) return;
      const bytes = x.slot! < y.slot! + sizeOf(y) && y.slot! < x.slot! + sizeOf(x);
      const time = life[a]!.born <= life[b]!.dies && life[b]!.born <= life[a]!.dies;
      if (bytes && time && !legalInPlace(plan, life, a, b) && !legalInPlace(plan, life, b, a)) {
        bad.push(`${a}/${b}`);
      }
    }),
  );
  return bad;
};

/** Evaluates index arithmetic (the only arithmetic inside `at`). */
export const evalIndex = (e: Expr, idx: readonly number[]): number => {
  if (e.kind === "const") return e.value;
  if (e.kind === "index") return idx[e.axis]!;
  if (e.kind !== "alu") throw new Error(`unexpected ${e.kind} in an index`);
  const [p, q] = e.args.map((x) => evalIndex(x, idx)) as [number, number];
  if (e.op === "add") return p + q;
  if (e.op === "mul") return p * q;
  if (e.op === "div") return Math.trunc(p / q);
  if (e.op === "mod") return p % q;
  throw new Error(`unexpected ${e.op} in an index`);
};

/**
 * Runs a planned plan on a simulated arena that tags every byte with the (buffer, element)
 * last written there; every read checks its bytes still hold what it expects. Returns the
 * clobbered reads.
 */
export const simulate = (plan: Plan): string[] => {
  const owner = new Int32Array(plan.arenaBytes!).fill(-1);
  const elem = new Int32Array(plan.arenaBytes!);
  const bad: string[] = [];
  const at = (b: number, i: number) => plan.buffers[b]!.slot! + i * BYTES[plan.buffers[b]!.dtype];
  const write = (b: number, i: number) => {
    for (let p = at(b, i); p < at(b, i + 1); p++) [owner[p], elem[p]] = [b, i];
  };
  const read = (b: number, i: number, when: string) => {
    for (let p = at(b, i); p < at(b, i + 1); p++) {
      if (owner[p] !== b || elem[p] !== i) bad.push(`${when}: buffer ${b}[${i}]`);
    }
  };
  const all = (b: number, f: (b: number, i: number) => void) => {
    for (let i = 0; i < count(plan.buffers[b]!.shape); i++) f(b, i);
  };
  const fed = new Set(Object.values(plan.inputs));
  for (const b of plan.buffers) if (b.kind !== "temp" || fed.has(b.id)) all(b.id, write);
  plan.kernels.forEach((k, t) => {
    if (k.kind === "library") {
      const reads = [...k.inputs, ...(k.epilogue?.inputs ?? [])];
      for (const b of reads) all(b, (b, i) => read(b, i, `kernel ${t}`));
      all(k.out, write);
      all(k.out, (b, i) => read(b, i, `epilogue ${t}`));
      for (const b of k.epilogue?.inputs ?? []) all(b, (b, i) => read(b, i, `epilogue ${t}`));
      return;
    }
    const idx = k.shape.map(() => 0);
    for (let i = 0; i < count(k.shape); i++) {
      for (const l of loadsOf(k.expr))
        read(k.inputs[l.input]!, evalIndex(l.at, idx), `kernel ${t}`);
      write(k.out, i);
      for (let a = idx.length - 1; a >= 0 && ++idx[a]! === k.shape[a]; a--) idx[a] = 0;
    }
  });
  for (const b of plan.buffers) {
    if (b.kind === "constant") all(b.id, (b, i) => read(b, i, "end"));
  }
  for (const b of Object.values(plan.outputs)) all(b, (b, i) => read(b, i, "end"));
  return bad;
};
