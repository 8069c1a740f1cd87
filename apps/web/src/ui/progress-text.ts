/** Minutes and seconds, `m:ss` (hours as `h:mm:ss`). */
export const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
};

/** Where a run is, from the latest step report. */
export interface ProgressState {
  /** Steps done (1-based count) and in the whole run. */
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly epochs: number;
  /** Seconds since the end of the first step (which includes compiling). */
  readonly seconds: number;
}

/**
 * The progress line: epoch, step, the rate since the first step and the time left at that
 * rate (validation passes are not counted, so the estimate is a little short for big models).
 */
export const progressText = (p: ProgressState): { fraction: number; text: string } => {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const parts = [
    `epoch ${Math.min(p.epoch + 1, p.epochs)}/${p.epochs}`,
    `step ${p.step.toLocaleString("en-US")}/${p.totalSteps.toLocaleString("en-US")}`,
  ];
  if (p.step > 1 && p.seconds > 0) {
    const rate = (p.step - 1) / p.seconds;
    parts.push(`${rate.toFixed(1)} steps/s`, `${clock((p.totalSteps - p.step) / rate)} left`);
  }
  return { fraction, text: parts.join(" · ") };
};
