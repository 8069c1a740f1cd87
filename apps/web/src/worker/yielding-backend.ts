import type { Backend } from "@loom/graph";

/**
 * Resolves after the event loop has run once: a MessageChannel message is a task, so messages
 * waiting for the worker (Stop, a digit to classify) are handled first. Not setTimeout, which
 * browsers clamp to 4 ms once nested.
 */
export const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });

/**
 * A backend whose executables let the event loop run before every run. The CPU backend's `run`
 * is synchronous work behind a promise, so a training loop of awaits alone would never give the
 * worker a chance to hear Stop.
 */
export const yieldingBackend = (backend: Backend): Backend => ({
  ...backend,
  name: backend.name,
  compile: (plan) => {
    const exe = backend.compile(plan);
    const resident = exe.runResident;
    return {
      run: async (feeds) => {
        await nextTask();
        return exe.run(feeds);
      },
      ...(resident === undefined
        ? {}
        : {
            runResident: async (feeds: Parameters<typeof resident>[0]) => {
              await nextTask();
              return resident(feeds);
            },
          }),
      dispose: exe.dispose,
    };
  },
  dispose: backend.dispose,
});
