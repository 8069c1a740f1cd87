import type { Backend, HostTensor, Plan } from "@loom/graph";
import { allocTyped, numel } from "@loom/graph";

/** Zero feeds for every graph input of a plan. */
const zeroFeeds = (plan: Plan): Record<string, HostTensor> =>
  Object.fromEntries(
    Object.entries(plan.inputs).map(([name, id]) => {
      const b = plan.buffers[id]!;
      return [name, { data: allocTyped(b.dtype, numel(b.shape)), shape: b.shape, dtype: b.dtype }];
    }),
  );

/**
 * Each kernel's mean time in milliseconds over `runs` runs of a plan on zero feeds, after one
 * warm-up run (which compiles shaders and generated code). `makeBackend` builds the backend
 * with the profile array it fills; the backend is disposed afterwards.
 */
export const profileKernels = async (
  plan: Plan,
  makeBackend: (profile: number[]) => Backend | Promise<Backend>,
  runs = 3,
): Promise<number[]> => {
  const profile = plan.kernels.map(() => 0);
  const backend = await makeBackend(profile);
  const exe = backend.compile(plan);
  try {
    const feeds = zeroFeeds(plan);
    await exe.run(feeds);
    profile.fill(0);
    for (let i = 0; i < runs; i++) await exe.run(feeds);
    return profile.map((t) => t / runs);
  } finally {
    exe.dispose();
    backend.dispose();
  }
};
