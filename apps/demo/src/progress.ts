import { SingleBar } from "cli-progress";

/** A per-epoch progress bar on stderr (stdout stays clean for `--json`), silent when stderr is not a terminal and `quiet`. */
export const epochBar = (epoch: number, epochs: number, total: number, enabled: boolean) => {
  if (!enabled) return { update: (_step: number, _loss: number) => {}, stop: () => {} };
  const bar = new SingleBar({
    format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} steps | {rate} steps/s | loss {loss}`,
    barCompleteChar: "=",
    barIncompleteChar: " ",
    hideCursor: true,
    stream: process.stderr,
    noTTYOutput: false,
    clearOnComplete: true,
  });
  const t0 = performance.now();
  bar.start(total, 0, { loss: "-", rate: "-" });
  return {
    update: (step: number, loss: number) =>
      bar.update(step, {
        loss: loss.toFixed(4),
        rate: (step / ((performance.now() - t0) / 1000)).toFixed(1),
      }),
    stop: () => bar.stop(),
  };
};
