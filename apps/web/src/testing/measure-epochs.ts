/**
 * Times one training epoch in the web app, per model and backend: builds and serves the app
 * (the e2e harness), opens `?model=M&backend=B&epochs=1`, clicks Train and reports what the
 * page says when it is done (steps, time, steps/s) and the wall time to the test accuracy.
 * A measurement, not a test (no timing is asserted anywhere):
 *
 *   pnpm exec tsx apps/web/src/testing/measure-epochs.ts [mlp:webgl lenet:cpu ...]
 */
import { attrOf, startApp } from "./e2e-app";

const DEFAULT_RUNS = ["mlp:cpu", "mlp:webgl", "lenet:cpu", "lenet:webgl"];

const main = async (runs: readonly string[]) => {
  const app = await startApp();
  try {
    const page = await app.newPage();
    for (const run of runs) {
      const [model, backend] = run.split(":");
      await page.goto(`${app.url}?model=${model}&backend=${backend}&epochs=1&batch=64`);
      await page.waitForSelector("#train:not([disabled])", { timeout: 120_000 });
      const t0 = performance.now();
      await page.click("#train");
      await page.waitForSelector("#test-accuracy[data-value]", { timeout: 1_800_000 });
      const seconds = (performance.now() - t0) / 1000;
      const info = await page.textContent("#model-info");
      const progress = await page.textContent("#progress-text");
      const accuracy = await attrOf(page, "#test-accuracy", "data-value");
      console.log(
        `${run}: ${seconds.toFixed(1)} s click to test accuracy ${accuracy}; ${progress}; ${info}`,
      );
    }
    if (app.pageErrors.length > 0) console.log(`page errors: ${app.pageErrors.join("; ")}`);
  } finally {
    await app.close();
  }
};

await main(process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_RUNS);
