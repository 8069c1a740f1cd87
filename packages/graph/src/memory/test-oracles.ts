import fc from "fast-check";
import type { DType } from "../dtype";
import type { Expr } from "../expr";
import { alu, int, linearize } from "../expr";
import type { BufferInfo, Kernel, Plan } from "../plan";

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

/** Graph inputs and kernel-written outputs: the buffers that must have no arena slot. */
export const outsiders = (plan: Plan): Set<number> =>
  new Set([
    ...Object.values(plan.inputs),
    ...Object.values(plan.outputs).filter((id) => plan.buffers[id]!.kind === "temp"),
  ]);

/**
 * A byte address per buffer: its arena slot, or, for a buffer without one (an input or output
 * living outside the arena), a private region past the arena. Also the total address space.
 */
export const addresses = (plan: Plan): { at: number[]; total: number } => {
  let next = plan.arenaBytes ?? 0;
  const at = plan.buffers.map((b) => {
    if (b.slot !== undefined) return b.slot;
    const mine = next;
    next += sizeOf(b);
    return mine;
  });
  return { at, total: next };
};

/** Every load in an expression, nested ones included. */
export const loadsOf = (e: Expr): Extract<Expr, { kind: "load" }>[] => {
  if (e.kind === "load") return [e, ...loadsOf(e.at)];
  if (e.kind === "alu") return e.args.flatMap(loadsOf);
  if (e.kind === "reduce") return loadsOf(e.body);
  return [];
};

/**
 * Whether `b` may legally share bytes with `a`: written in place over it by one expr kernel,
 * or by a library kernel whose op declares `overwrites` at a's position (and reads a nowhere else).
 */
export const legalInPlace = (
  plan: Plan,
  life: ReturnType<typeof lifetimes>,
  a: number,
  b: number,
) => {
  const t = plan.kernels.findIndex((k) => k.out === b);
  const k = plan.kernels[t];
  const [x, y] = [plan.buffers[a]!, plan.buffers[b]!];
  if (k === undefined || x.slot === undefined || x.slot !== y.slot) return false;
  if (life[a]!.dies !== t || life[b]!.born !== t || x.kind === "constant") return false;
  if (Object.values(plan.outputs).includes(a)) return false;
  if (x.shape.join() !== k.shape.join() || BYTES[x.dtype] !== BYTES[y.dtype]) return false;
  if (k.kind === "library") {
    const reads = [...k.inputs, ...(k.epilogue?.inputs ?? [])];
    return (
      k.overwrites !== undefined &&
      k.inputs[k.overwrites] === a &&
      reads.filter((r) => r === a).length === 1
    );
  }
  const want = JSON.stringify(flatIndex(k.shape));
  return loadsOf(k.expr).every((l) => k.inputs[l.input] !== a || JSON.stringify(l.at) === want);
};

/** All violations of "live buffers never share a byte", by brute force over pairs. */
export const overlaps = (plan: Plan): string[] => {
  const life = lifetimes(plan);
  const { at } = addresses(plan);
  const bad: string[] = [];
  plan.buffers.forEach((x, a) =>
    plan.buffers.forEach((y, b) => {
      if (b <= a) return;
      const bytes = at[a]! < at[b]! + sizeOf(y) && at[b]! < at[a]! + sizeOf(x);
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
  const space = addresses(plan);
  const owner = new Int32Array(space.total).fill(-1);
  const elem = new Int32Array(space.total);
  const bad: string[] = [];
  const at = (b: number, i: number) => space.at[b]! + i * BYTES[plan.buffers[b]!.dtype];
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

const SHAPES: number[][] = [[], [3], [4, 5], [2, 3, 4], [7, 9], [1, 1, 33], [0, 3], [16, 16]];
const DTYPES: DType[] = ["float32", "float64", "int32", "bool"];

/** A random plan: sources, then kernels that read earlier buffers, some in-place eligible. */
export const arbPlan: fc.Arbitrary<Plan> = fc
  .record({
    sources: fc.array(fc.record({ shape: fc.nat(), dtype: fc.nat(), constant: fc.boolean() }), {
      minLength: 1,
      maxLength: 4,
    }),
    kernels: fc.array(
      fc.record({
        src: fc.nat(),
        extra: fc.array(fc.record({ buf: fc.nat(), flat: fc.boolean() }), { maxLength: 3 }),
        shape: fc.nat(),
        dtype: fc.nat(),
        kind: fc.constantFrom("aligned", "aligned", "other", "library"),
        epilogue: fc.boolean(),
        overwrites: fc.boolean(),
      }),
      { minLength: 1, maxLength: 14 },
    ),
    outputs: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ sources, kernels, outputs }) => {
    const buffers: BufferInfo[] = [];
    const inputs: Record<string, number> = {};
    for (const s of sources) {
      const id = buffers.length;
      const kind = s.constant ? "constant" : "input";
      const shape = SHAPES[s.shape % SHAPES.length]!;
      const dtype = DTYPES[s.dtype % DTYPES.length]!;
      buffers.push({ id, shape, dtype, kind, ...(s.constant ? { data: [1] } : {}) });
      if (!s.constant) inputs[`in${id}`] = id;
    }
    const ks: Kernel[] = kernels.map((k) => {
      const out = buffers.length;
      const src = k.src % out;
      const aligned = k.kind === "aligned";
      const shape = aligned ? buffers[src]!.shape : SHAPES[k.shape % SHAPES.length]!;
      const dtype = DTYPES[k.dtype % DTYPES.length]!;
      buffers.push({ id: out, shape, dtype, kind: "temp" });
      const picked = [
        { buf: src, flat: aligned },
        ...k.extra.map((e) => ({ buf: e.buf % out, flat: e.flat })),
      ].map((r) => ({ ...r, flat: r.flat && buffers[r.buf]!.shape.join() === shape.join() }));
      // Element 0 of an empty buffer does not exist: read those only at the (empty) output's index.
      const usable = picked.filter((r) => r.flat || count(buffers[r.buf]!.shape) > 0);
      const reads = usable.map((r) => r.buf);
      const flat = usable.map((r) => r.flat);
      const loads = reads.map((b, j) => {
        return load(j, flat[j] ? flatIndex(shape) : int(0), buffers[b]!.dtype);
      });
      if (k.kind === "library") {
        const epi = k.epilogue ? reads.slice(1) : undefined;
        return {
          kind: "library",
          call: { kind: "matmul", transA: false, transB: false },
          out,
          inputs: [src],
          shape,
          nodes: [],
          ...(epi ? { epilogue: { expr: load(0, int(0)), inputs: epi } } : {}),
          ...(k.overwrites ? { overwrites: 0 } : {}),
        };
      }
      const expr = loads.reduce((acc, l) => alu("add", [acc, l]), int(0));
      return { kind: "expr", out, inputs: reads, shape, expr, nodes: [] };
    });
    const outs = Object.fromEntries(outputs.map((o, i) => [`out${i}`, o % buffers.length]));
    return { buffers, kernels: ks, inputs, outputs: outs };
  });
