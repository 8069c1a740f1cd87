import { describe, expect, it } from "vitest";
import type { Backend, Executable, Plan } from "@loom/graph";
import { executableCache } from "@loom/graph";
import type { Tensor } from "./core";
import { compile } from "./compile";
import { hostTensor } from "./host";
import { exp } from "./api/elementwise";

/** A backend that counts what it compiles and what is disposed; its executables return nothing. */
const countingBackend = (limit?: number, cached = true) => {
  const live = new Set<Executable>();
  let compiled = 0;
  const executables = executableCache(limit);
  const backend: Backend = {
    name: "counting",
    compile: (_plan: Plan): Executable => {
      compiled++;
      const out = { data: new Float32Array(0), shape: [0], dtype: "float32" as const };
      const exe: Executable = {
        run: async () => ({ y: out }),
        dispose: () => void live.delete(exe),
      };
      live.add(exe);
      return exe;
    },
    ...(cached ? { executables } : {}),
    dispose: () => executables.clear(),
  };
  return { backend, live, compiled: () => compiled };
};

const fn = ({ x }: { x: Tensor }) => ({ y: exp(x) });
const specs = { x: { shape: ["N"] } };
const feed = (n: number) => ({ x: hostTensor(new Array<number>(n).fill(0), [n]) });

/** Two compiles of the one graph on `backend`, each run once on the same shape. */
const twoRun = async (backend: Backend) => {
  const a = compile(backend, fn, specs);
  const b = compile(backend, fn, specs);
  await a.run(feed(2));
  await b.run(feed(2));
  return [a, b] as const;
};

describe("compile's executables", () => {
  it("are shared between live compiles of one graph and freed when the last one is disposed", async () => {
    const { backend, live, compiled } = countingBackend();
    const [a, b] = await twoRun(backend);
    expect(compiled()).toBe(1);
    a.dispose();
    expect(live.size).toBe(1);
    await b.run(feed(3));
    expect(live.size).toBe(2);
    b.dispose();
    expect(live.size).toBe(0);
  });

  it("are freed by the backend's dispose, and bounded by its cache (least recently used first)", async () => {
    const { backend, live, compiled } = countingBackend(2);
    const f = compile(backend, fn, specs);
    await f.run(feed(1));
    await f.run(feed(2));
    await f.run(feed(1));
    await f.run(feed(3)); // evicts n = 2, the least recently used
    expect(live.size).toBe(2);
    await f.run(feed(1));
    expect(compiled()).toBe(3);
    await f.run(feed(2));
    expect(compiled()).toBe(4);
    backend.dispose();
    expect(live.size).toBe(0);
  });

  it("are a compile's own on a backend without a cache, and dispose frees them", async () => {
    const { backend, live, compiled } = countingBackend(undefined, false);
    const [a, b] = await twoRun(backend);
    expect(compiled()).toBe(2);
    a.dispose();
    b.dispose();
    expect(live.size).toBe(0);
  });
});
