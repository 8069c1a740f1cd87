import type { Backend, DeviceTensor, HostTensor, RunValue } from "@loom/graph";
import { hostDeviceTensor, isDeviceTensor } from "@loom/graph";
import { isHostTensor } from "./host";
import type { MapLeaves, Tree } from "./pytree";
import { flattenTree, mapTree } from "./pytree";

/** True for what a compiled function takes as a feed: a host tensor or a device tensor. */
export const isRunValue = (x: unknown): x is RunValue => isHostTensor(x) || isDeviceTensor(x);

/**
 * Copies a tree of host tensors to a backend's device (a WebGL texture each; on the CPU, a
 * copy in host memory): parameters that resident runs take and return without a transfer.
 * The caller owns the handles (`disposeTree`).
 */
export const toDevice = <T extends Tree<HostTensor>>(
  backend: Backend,
  tree: T,
): MapLeaves<T, HostTensor, DeviceTensor> =>
  mapTree(tree, isHostTensor, (t) =>
    backend.upload !== undefined
      ? backend.upload(t)
      : hostDeviceTensor({ ...t, data: t.data.slice() }, backend.name),
  ) as MapLeaves<T, HostTensor, DeviceTensor>;

/** Reads a tree of device tensors to the host, all reads at once (a host leaf passes through); the handles stay alive. */
export const toHost = async <T extends Tree<DeviceTensor>>(
  tree: T,
): Promise<MapLeaves<T, DeviceTensor, HostTensor>> => {
  const leaves = flattenTree(tree, isRunValue);
  const hosts = await Promise.all(
    leaves.map(({ leaf }) => (isDeviceTensor(leaf) ? leaf.read() : leaf)),
  );
  const byPath = new Map(leaves.map(({ path }, i) => [path, hosts[i]!]));
  return mapTree(tree, isRunValue, (_, path) => byPath.get(path)!) as MapLeaves<
    T,
    DeviceTensor,
    HostTensor
  >;
};

/** Frees every device tensor of a tree (host tensors are left to the garbage collector). */
export const disposeTree = (tree: Tree<RunValue>): void => {
  for (const { leaf } of flattenTree(tree, isRunValue)) if (isDeviceTensor(leaf)) leaf.dispose();
};

/** Reads device tensors by name to the host and frees them: a run that took device feeds, read back. */
export const readValues = async (
  out: Readonly<Record<string, DeviceTensor>>,
): Promise<Record<string, HostTensor>> => {
  try {
    const hosts = await Promise.all(Object.values(out).map((t) => t.read()));
    return Object.fromEntries(Object.keys(out).map((k, i) => [k, hosts[i]!]));
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
};
