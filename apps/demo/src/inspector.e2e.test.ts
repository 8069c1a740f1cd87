/**
 * The inspector end to end (issue #13): builds the web app with Vite, serves it, and drives its
 * Inspect view in Debian's Chromium with Playwright; writes `loom inspect --format html` and
 * opens it from file:// with every request recorded. Screenshots go to out/inspector-*.png.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Page } from "playwright";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { STAGE_NAMES } from "@loom/ops";
import type { ServedApp } from "@loom/testing/node";
import { serveApp } from "@loom/testing/node";
import { lastJson, loom } from "./testing/run-loom";

const APP = fileURLToPath(new URL("../../web/", import.meta.url));
const OUT = fileURLToPath(new URL("../../../out/", import.meta.url));

let app: ServedApp;
let page: Page;
const log: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  await mkdir(OUT, { recursive: true });
  app = await serveApp(APP);
  page = await app.browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
}, 120_000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  console.log(log.join("\n"));
  await app?.close();
});

/** Opens the Inspect view on a query and waits until the inspector is drawn. */
const inspect = async (query: string) => {
  await page.goto(`${app.url}?view=inspect&${query}`);
  await page.waitForSelector(".inspector .insp-tabs", { timeout: 120_000 });
};

const tab = (name: string) => page.click(`.insp-tabs [data-tab="${name}"]`);

describe("the inspector in Chromium", () => {
  it("shows every stage of LeNet's training step, its graph, a kernel's source and the memory plan", async () => {
    await inspect("model=lenet&train=1&batch=16&backend=cpu");
    const stages = await page.$$eval("tr[data-stage]", (rows) =>
      rows.map((r) => r.getAttribute("data-stage")),
    );
    expect(stages).toEqual([...STAGE_NAMES]);
    await page.screenshot({ path: join(OUT, "inspector-stages.png") });

    // Collapsed by layer: one box per LeNet layer; expanding conv2 shows its kernel clusters.
    await tab("Graph");
    await page.waitForSelector(".graph-svg[data-layout-in]:not([aria-busy])");
    const boxes = await page.$$eval(".graph-svg .box.group", (gs) =>
      gs.map((g) => g.getAttribute("data-key")),
    );
    expect(boxes).toEqual(
      expect.arrayContaining(["g:conv1", "g:conv2", "g:fc1", "g:fc2", "g:fc3"]),
    );
    await page.click('.graph-svg [data-key="g:conv2"]');
    // The layout runs in a worker: the page paints its progress and answers meanwhile.
    await page.waitForSelector(".graph-progress:not([hidden])");
    expect(await page.textContent(".graph-progress")).toMatch(/^laying out \d+ boxes… \d+\.\d s$/);
    expect(await page.evaluate(() => 6 * 7)).toBe(42);
    await page.waitForSelector(".graph-svg .kernel-cluster");
    expect(await page.getAttribute(".graph-svg", "data-layout-in")).toBe("worker");
    log.push(
      `LeNet conv2 expanded: ${await page.getAttribute(".graph-svg", "data-boxes")} boxes, dagre ${await page.getAttribute(".graph-svg", "data-layout-ms")} ms in the worker, shown after ${await page.getAttribute(".graph-svg", "data-render-ms")} ms`,
    );
    await page.fill('input[type="search"]', "conv2d_grad_filter");
    await page.press('input[type="search"]', "Enter");
    expect(await page.textContent(".found")).toMatch(/^[1-9]\d* boxes match$/);
    await page.screenshot({ path: join(OUT, "inspector-graph.png") });

    // Every stage's graph is drawn; a selected node and the expanded layer carry over.
    const grad = page.locator(".graph-svg .box.node", { hasText: "conv2d_grad_filter" }).first();
    await grad.dispatchEvent("click");
    await page.waitForSelector(".graph-svg .box.node.selected");
    expect(await page.textContent(".graph-selected")).toMatch(
      /Selected: %\d+ conv2d_grad_filter float32\[16,6,5,5\] · layer conv2/,
    );
    for (const stage of [...STAGE_NAMES].reverse()) {
      await page.selectOption('select[name="stage"]', stage);
      await page.waitForSelector(`.graph-svg[data-stage="${stage}"]:not([aria-busy])`);
      const drawn = await page.$$eval(".graph-svg .box", (bs) => bs.length);
      expect(drawn, stage).toBeGreaterThan(20);
      expect(await page.locator('.graph-svg [data-key="g:conv2"]').count(), stage).toBe(0);
      expect(await page.textContent(".graph-svg .box.node.selected"), stage).toMatch(
        /conv2d_grad_filter \[16,6,5,5\]/,
      );
    }
    expect(await page.textContent(".graph-info")).toMatch(/^input: \d+ nodes drawn as/);
    await page.selectOption('select[name="stage"]', "plan-memory");
    await page.waitForSelector('.graph-svg[data-stage="plan-memory"]:not([aria-busy])');

    // Clicking a fused kernel's cluster opens its code.
    const cluster = await page.$$eval(".graph-svg .kernel-cluster", (cs) =>
      cs.map((c) => c.getAttribute("data-kernel")),
    );
    await page.dispatchEvent(`.graph-svg .kernel-cluster[data-kernel="${cluster[0]}"]`, "click");
    await page.waitForSelector(`.kernel-detail[data-kernel="${cluster[0]}"]`);
    const text = await page.textContent(".kernel-detail");
    expect(text).toMatch(/layers: .*conv2/);
    // An expression kernel's JS loop, and the GLSL the WebGL backend would run.
    await page.click(".kernel-list th:first-child");
    const row = page.locator(".kernel-list tbody tr", { hasText: /^k\d+expr/ }).first();
    await row.click();
    await expect
      .poll(() => page.textContent(".kernel-detail pre.javascript"))
      .toMatch(/for \(let x0 = 0;/);
    expect(await page.textContent(".kernel-detail pre.glsl")).toMatch(/void main\(\)/);
    expect(await page.textContent(".kernel-detail")).toMatch(/\d+\.\d{3} ms on cpu/);
    await page.screenshot({ path: join(OUT, "inspector-kernels.png") });

    // The timeline's peak is the one `loom inspect --json` prints for the same step.
    await tab("Memory");
    const peak = Number(await page.getAttribute(".memory-timeline", "data-peak"));
    const cli = await loom("inspect", "-m", "lenet", "--train", "--batch", "16", "--json");
    expect(cli.code).toBe(0);
    expect(peak).toBe(lastJson<{ memory: { peakBytes: number } }>(cli.out).memory.peakBytes);
    expect(await page.locator(".memory-timeline rect.buf").count()).toBeGreaterThan(10);
    await page.screenshot({ path: join(OUT, "inspector-memory.png") });
  }, 180_000);

  it("inspects the model in training with its batch norm, augmentation and optimizer", async () => {
    await page.goto(
      `${app.url}?model=lenet&bn=1&augment=shift:2&optimizer=sgd&lr=0.05&schedule=cosine&epochs=1&batch=16&limit=64`,
    );
    await page.waitForSelector("#train:not([disabled])", { timeout: 60_000 });
    await page.click("#train");
    // The worker has announced the run (its model and switches) once the progress names it.
    await page.waitForSelector('#progress-text:text-matches("epoch 1/1")', { timeout: 60_000 });
    await page.click('nav.app-views button:text-is("Inspect")');
    await page.selectOption('#inspect-view select[name="model"]', "trained");
    expect(await page.inputValue('#inspect-view input[name="batch"]')).toBe("16");
    await page.selectOption('#inspect-view select[name="backend"]', "none");
    await page.click("#inspect-run");
    await page.waitForSelector(".inspector .insp-title", { timeout: 120_000 });
    expect(await page.textContent(".insp-title")).toBe(
      "lenet · training step · input [1,28,28] · batch 16 · as trained in the app: batch norm · augment shift:2 · sgd lr 0.05, cosine",
    );
    // The same step from `loom inspect` with the same switches: every stage's counts agree, and
    // they differ from plain LeNet's (Adam, no batch norm, no augmentation).
    const counts = (rows: readonly { nodes: number; kernels: number }[]) =>
      rows.map((r) => `${r.nodes}/${r.kernels}`);
    const cli = async (...extra: string[]) => {
      const r = await loom(
        "inspect",
        "-m",
        "lenet",
        "--train",
        "--batch",
        "16",
        "--json",
        ...extra,
      );
      expect(r.code, r.err).toBe(0);
      return lastJson<{ stages: { nodes: number; kernels: number }[] }>(r.out).stages;
    };
    const inNode = await cli(
      ..."--bn --augment shift:2 --optimizer sgd --lr 0.05 --schedule cosine".split(" "),
    );
    const page4 = await page.$$eval("tr[data-stage]", (rows) =>
      rows.map((r) => {
        const n = (i: number) => Number(r.children[i]!.textContent!.replace(/,/g, ""));
        return { nodes: n(3), kernels: n(4) };
      }),
    );
    expect(counts(page4)).toEqual(counts(inNode));
    expect(counts(page4)).not.toEqual(counts(await cli()));
    await tab("Summary");
    const layers = await page.$$eval('[data-panel="summary"] tbody tr', (rows) =>
      rows.map((r) => r.children[0]!.textContent),
    );
    expect(layers).toEqual(expect.arrayContaining(["bn1", "bn2", "bn3", "bn4"]));
  }, 180_000);

  it("times an MLP's kernels on WebGL in the page", async () => {
    await inspect("model=mlp&train=0&batch=4&backend=webgl");
    await tab("Kernels");
    expect(await page.textContent('[data-panel="kernels"] h3')).toMatch(
      /^\d+ kernels · \d+\.\d\d ms per step on webgl$/,
    );
    await page.click(".kernel-list tbody tr");
    expect(await page.textContent(".kernel-detail")).toMatch(/ms on webgl/);
  }, 120_000);

  it("opens `loom inspect --format html` from file:// without a single network request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "loom-html-"));
    const file = join(dir, "lenet.html");
    const t0 = Date.now();
    const r = await loom(
      ..."inspect -m lenet --train --batch 16 --format html --out".split(" "),
      file,
    );
    expect(r.code, r.err).toBe(0);
    log.push(`loom inspect --format html: ${Date.now() - t0} ms in-process`);
    const html = await readFile(file, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const p = await app.browser.newPage({ viewport: { width: 1280, height: 860 } });
    const requests: string[] = [];
    p.on("request", (q) => requests.push(q.url()));
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push(e.message));
    await p.goto(pathToFileURL(file).href);
    await p.waitForSelector(".inspector tr[data-stage]");
    const stages = await p.$$eval("tr[data-stage]", (rows) =>
      rows.map((x) => x.getAttribute("data-stage")),
    );
    expect(stages).toEqual([...STAGE_NAMES]);
    await p.click('.insp-tabs [data-tab="Graph"]');
    await p.waitForSelector(".graph-svg .box");
    // Even from file://, the layout runs in the worker the page carries inline.
    expect(await p.getAttribute(".graph-svg", "data-layout-in")).toBe("worker");
    await p.click('.insp-tabs [data-tab="Memory"]');
    const inlined = JSON.parse(/window\.__LOOM_INSPECTION__ = (.*);<\/script>/.exec(html)![1]!) as {
      memory: { peakBytes: number };
    };
    expect(Number(await p.getAttribute(".memory-timeline", "data-peak"))).toBe(
      inlined.memory.peakBytes,
    );
    expect(errors).toEqual([]);
    // The inline worker's blob: URL is the page's own memory, not a request to anywhere.
    expect(requests.filter((u) => !u.startsWith("blob:"))).toEqual([pathToFileURL(file).href]);
    await p.close();
    await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it("draws ResNet-50's training step collapsed by layer", async () => {
    await inspect("model=resnet50&train=1&batch=1&backend=none");
    const t0 = Date.now();
    await tab("Graph");
    await page.waitForSelector(".graph-svg[data-render-ms]");
    const wall = Date.now() - t0;
    const ms = Number(await page.getAttribute(".graph-svg", "data-render-ms"));
    const boxes = Number(await page.getAttribute(".graph-svg", "data-boxes"));
    log.push(
      `ResNet-50 training step graph: ${boxes} boxes, layout+draw ${ms} ms, tab click to drawn ${wall} ms`,
    );
    expect(boxes).toBeGreaterThan(16);
    expect(await page.locator(".graph-svg .box.group").count()).toBe(boxes);
    await page.screenshot({ path: join(OUT, "inspector-resnet50.png") });
  }, 300_000);
});
