/**
 * The web app's user-trial defects, each driven in Debian's Chromium as a user meets it:
 * classifying during a first run, a tap read as a digit, a 390-pixel phone, WebGL on a software
 * renderer, loading a file that is not a checkpoint, reloading mid-run, bad form values, a
 * stopped run's label and test point, continuing a model, accessibility, the CNNs with the CLI's
 * switches, and every layer's activations, the first layer's filters and a confusion matrix.
 */
import type { Page } from "playwright";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadMnist } from "@loom/models";
import type { E2eApp } from "./testing/e2e-app";
import { attrOf, drawDigit, padBox, startApp } from "./testing/e2e-app";

let app: E2eApp;
let page: Page;

beforeAll(async () => {
  app = await startApp();
  page = await app.newPage();
}, 60_000);

afterEach(() => {
  expect(app.pageErrors).toEqual([]);
});

afterAll(async () => app?.close());

const text = async (selector: string) => (await page.textContent(selector)) ?? "";

/** Test digit 3 of the split: a clearly written 6. */
const six = () => loadMnist().test.images.slice(3 * 784, 4 * 784);

/** Whether a beforeunload event is cancelled (the browser would ask before leaving). */
const asksBeforeLeaving = () =>
  page.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    dispatchEvent(e);
    return e.defaultPrevented;
  });

/** The WCAG contrast ratio of two CSS colours `rgb(r, g, b)`. */
const contrast = (a: string, b: string): number => {
  const luminance = (css: string) => {
    const [r, g, bl] = css
      .match(/[\d.]+/g)!
      .slice(0, 3)
      .map(Number);
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(bl!);
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

describe("the web app after its user trial", () => {
  it("requires a minimum of ink: a tap is not read as a digit, a drawn digit is", async () => {
    await page.goto(`${app.url}?model=mlp&epochs=20&batch=32&limit=640`);
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    const box = await padBox(page);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() =>
      document.querySelector("#confidence")!.textContent!.startsWith("Too little ink"),
    );
    expect(await text("#prediction")).toBe("–");
    // A real digit is fine, but there is no model yet.
    await drawDigit(page, six());
    await page.waitForFunction(
      () => document.querySelector("#confidence")!.textContent === "Train or load a model first.",
    );
  }, 60_000);

  it("classifies with the weights of each epoch during a first run, says which epoch answers, and asks before a reload", async () => {
    expect(await asksBeforeLeaving()).toBe(false);
    await page.click("#train");
    await page.waitForSelector("#stop:not([disabled])");
    expect(await asksBeforeLeaving()).toBe(true);
    // The drawn 6 is answered by each finished epoch's weights while training goes on (the
    // text is read once: a fast machine may finish the next epoch between two reads).
    const answered = await page.waitForFunction(
      () => {
        const t = document.querySelector("#answered-by")!.textContent!;
        return /after epoch \d/.test(t) ? t : false;
      },
      undefined,
      { timeout: 60_000 },
    );
    const said = (await answered.jsonValue()) as string;
    app.log.push(`during training: ${await text("#prediction")} ${said}`);
    const m = /^Answered by the weights after epoch (\d+) \(step (\d+)\); training goes on\.$/.exec(
      said,
    );
    expect(m, said).not.toBeNull();
    // 640 digits in batches of 32: 20 steps an epoch.
    expect(Number(m![2])).toBe(20 * Number(m![1]));
    expect(await text("#prediction")).toMatch(/^\d$/);
    expect(await text("#confidence")).toMatch(/^[\d.]+% sure$/);
    expect(await page.$eval("#stop", (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  }, 90_000);

  it("labels a run stopped mid-epoch by its steps and epoch, and plots its test accuracy there", async () => {
    await page.waitForFunction(() => {
      const m = /step (\d+)\//.exec(document.querySelector("#progress-text")!.textContent!);
      return m !== null && Number(m[1]) >= 25;
    });
    await page.click("#stop");
    await page.waitForFunction(() =>
      document.querySelector("#progress-text")!.textContent!.startsWith("Stopped"),
    );
    expect(await asksBeforeLeaving()).toBe(false);
    const info = await text("#model-info");
    app.log.push(`stopped: ${info}`);
    const m = /^MLP trained here on the CPU: (\d+) steps, stopped in epoch (\d+)\.$/.exec(info);
    expect(m).not.toBeNull();
    const [steps, epoch] = [Number(m![1]), Number(m![2])];
    expect(steps).toBeGreaterThanOrEqual(25);
    expect(epoch).toBe(Math.ceil(steps / 20));
    const accuracy = await attrOf(page, "#test-accuracy", "data-value");
    // Each whole epoch's point and the test point at the fraction of an epoch where it stopped.
    await page.waitForSelector(`#accuracy-chart[data-points="${epoch}"]`);
    expect(await attrOf(page, "#accuracy-chart", "data-test")).toBe(`${steps / 20}:${accuracy}`);
  }, 90_000);

  it("continues the stopped model instead of starting from scratch", async () => {
    const before = Number(await attrOf(page, "#test-accuracy", "data-value"));
    await page.fill("#epochs", "1");
    await page.check("#resume");
    expect(await page.$eval("#model", (s) => (s as HTMLSelectElement).disabled)).toBe(true);
    const hint = /^Continue the MLP \(epoch (\d+), step (\d+)\)/.exec(await text("#resume-hint"));
    expect(hint).not.toBeNull();
    const [epoch, steps] = [Number(hint![1]), Number(hint![2])];
    await page.click("#train");
    await page.waitForFunction(() =>
      document.querySelector("#progress-text")!.textContent!.startsWith("Done"),
    );
    expect(await text("#model-info")).toBe(
      `MLP trained here on the CPU: ${epoch + 1} epochs (${steps + 20} steps).`,
    );
    // The table's one epoch is the model's next: the run went on from where it stopped.
    expect(
      await page.$$eval("#epoch-table tbody tr", (rows) =>
        rows.map((r) => (r as HTMLTableRowElement).cells[0]!.textContent),
      ),
    ).toEqual([String(epoch + 1)]);
    const after = Number(await attrOf(page, "#test-accuracy", "data-value"));
    app.log.push(`continued: test accuracy ${before} -> ${after}`);
    expect(after).toBeGreaterThan(0.8);
  }, 90_000);

  it("shows every layer's activations, the first layer's weights, a confusion matrix and per-digit accuracy", async () => {
    await drawDigit(page, six());
    await page.waitForFunction(() => document.querySelector("#prediction")!.textContent === "6");
    const layers = await page.$$eval("#layer option", (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(layers).toEqual(["flatten", "fc1", "act1", "fc2", "act2", "out"]);
    await page.selectOption("#layer", "act1");
    await page.waitForFunction(
      () =>
        document.querySelector("#feature-maps canvas")?.getAttribute("aria-label") ===
        "act1: 256 values",
    );
    await page.selectOption("#layer", "out");
    await page.waitForFunction(
      () =>
        document.querySelector("#feature-maps canvas")?.getAttribute("aria-label") ===
        "out: 10 values",
    );
    // The MLP's first 32 hidden units as 28x28 images of their weights.
    const filters = await page.$$eval("#filters canvas", (cs) =>
      cs.map((c) => `${(c as HTMLCanvasElement).width}x${(c as HTMLCanvasElement).height}`),
    );
    expect(filters).toEqual(Array(32).fill("28x28"));
    // The confusion matrix holds the 2,000 test digits; its diagonal is the test accuracy.
    const counts = await page.$$eval("#confusion tbody tr", (rows) =>
      rows.map((r) =>
        Array.from(r.querySelectorAll("td[data-count]"), (td) =>
          Number((td as HTMLElement).dataset["count"]),
        ),
      ),
    );
    const total = counts.flat().reduce((a, b) => a + b, 0);
    const right = counts.reduce((a, row, t) => a + row[t]!, 0);
    expect(total).toBe(2000);
    expect(right / 2000).toBe(Number(await attrOf(page, "#test-accuracy", "data-value")));
    const labels = loadMnist().test.labels;
    const perDigit = await page.$$eval("#confusion td.acc", (tds) =>
      tds.map((td) => Number((td as HTMLElement).dataset["value"])),
    );
    expect(
      perDigit.map((a, t) => a * labels.filter((l) => l === t).length).map(Math.round),
    ).toEqual(counts.map((row, t) => row[t]));
  }, 60_000);

  it("meets the accessibility checks: named progress bar, live regions, contrast, labelled canvases", async () => {
    expect(await page.getByRole("progressbar", { name: "Training progress" }).count()).toBe(1);
    expect(await attrOf(page, "#answer", "aria-live")).toBe("polite");
    expect(await attrOf(page, "#notice", "aria-live")).toBe("polite");
    const colours = await page.$eval("#show-all", (b) => {
      const s = getComputedStyle(b);
      return { fg: s.color, bg: s.backgroundColor };
    });
    const ratio = contrast(colours.fg, colours.bg);
    app.log.push(`active toggle contrast ${ratio.toFixed(2)}:1 (${colours.fg} on ${colours.bg})`);
    expect(ratio).toBeGreaterThanOrEqual(4.5);
    const unlabelled = await page.$$eval("canvas", (cs) =>
      cs
        .filter((c) => !c.closest(".uplot") && !c.closest(".tile"))
        .filter((c) => c.getAttribute("role") !== "img" || !c.getAttribute("aria-label"))
        .map((c) => c.id || c.parentElement!.id),
    );
    expect(unlabelled).toEqual([]);
    // An error is announced at once.
    await page.setInputFiles("#load", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("hello, this is a text file and not a model\n"),
    });
    await page.waitForSelector("#notice.error");
    expect(await attrOf(page, "#notice", "role")).toBe("alert");
    expect(await attrOf(page, "#notice", "aria-live")).toBe("assertive");
  }, 30_000);

  it("says 'not a safetensors file' for a text file or random bytes", async () => {
    expect(await text("#notice")).toMatch(
      /^Could not load notes.txt: checkpoint: not a safetensors file/,
    );
    const random = Buffer.from(
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
    );
    random.set([0x9c, 0x7e, 0x31, 0xd2, 0x55, 0x10, 0x3a, 0x74, 0x7b]);
    await page.setInputFiles("#load", {
      name: "random.bin",
      mimeType: "application/octet-stream",
      buffer: random,
    });
    await page.waitForFunction(() =>
      document.querySelector("#notice")!.textContent!.includes("random.bin"),
    );
    expect(await text("#notice")).toMatch(
      /^Could not load random.bin: checkpoint: not a safetensors file/,
    );
  }, 30_000);

  it("checks the learning rate and batch size in the form with the library's rules, and keeps the form in the URL", async () => {
    await page.uncheck("#resume");
    await page.fill("#lr", "0");
    await page.waitForFunction(() => document.querySelector("#lr-error")!.textContent !== "");
    expect(await text("#lr-error")).toBe("the learning rate must be a positive number, got 0");
    expect(await attrOf(page, "#lr", "aria-invalid")).toBe("true");
    await page.fill("#batch", "");
    await page.waitForFunction(() => document.querySelector("#batch-error")!.textContent !== "");
    expect(await text("#batch-error")).toBe("batch size must be an integer in [1, 640], got NaN");
    const progress = await text("#progress-text");
    await page.click("#train");
    await page.waitForTimeout(500);
    expect(await text("#progress-text")).toBe(progress);
    expect(await page.$eval("#stop", (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    // Valid values again; the address follows the form and survives a reload.
    await page.fill("#lr", "0.002");
    await page.fill("#batch", "16");
    await page.fill("#epochs", "4");
    await page.waitForFunction(() => document.querySelector("#batch-error")!.textContent === "");
    expect(new URL(page.url()).search).toBe("?lr=0.002&epochs=4&batch=16&limit=640");
    await page.reload();
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    expect([
      await page.inputValue("#lr"),
      await page.inputValue("#batch"),
      await page.inputValue("#epochs"),
    ]).toEqual(["0.002", "16", "4"]);
  }, 60_000);

  it("shows the WebGL renderer and recommends the CPU when it is a software one", async () => {
    const option = await text("#backend option[value=webgl]");
    const hint = await page.$eval("#backend-hint", (p) => ({
      hidden: (p as HTMLElement).hidden,
      text: p.textContent,
    }));
    app.log.push(`webgl: ${option}; ${hint.text}`);
    // Chromium here renders WebGL with SwiftShader (--use-angle=swiftshader).
    expect(option).toBe("WebGL2 (software renderer, slower than the CPU)");
    expect(hint.hidden).toBe(false);
    expect(hint.text).toMatch(/SwiftShader.*a software renderer .*the CPU backend trains faster/);
  }, 30_000);

  it("fits a 390-pixel phone: no sideways scrolling, a readable subtitle, the epoch table inside its card", async () => {
    const phone = await app.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto(`${app.url}?epochs=1&batch=32&limit=320`);
    await phone.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    await phone.click("#train");
    await phone.waitForSelector("#epoch-table tbody tr", { timeout: 60_000 });
    await phone.waitForSelector("#test-accuracy[data-value]", { timeout: 60_000 });
    const m = await phone.evaluate(() => {
      const sub = document.querySelector(".sub")!;
      const card = document.querySelector(".charts")!.getBoundingClientRect();
      const wrap = document.querySelector("#epoch-table")!.parentElement!.getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        bodyWidth: document.body.scrollWidth,
        // "normal" line height is about 1.2 em.
        subLines:
          sub.getBoundingClientRect().height /
          (Number.parseFloat(getComputedStyle(sub).lineHeight) ||
            1.2 * Number.parseFloat(getComputedStyle(sub).fontSize)),
        subWidth: sub.getBoundingClientRect().width,
        statusRight: document.querySelector("#status")!.getBoundingClientRect().right,
        tableInside: wrap.left >= card.left && wrap.right <= card.right,
      };
    });
    app.log.push(`phone: ${JSON.stringify(m)}`);
    expect(m.scrollWidth).toBeLessThanOrEqual(390);
    expect(m.bodyWidth).toBeLessThanOrEqual(390);
    expect(m.statusRight).toBeLessThanOrEqual(390);
    expect(m.subWidth).toBeGreaterThan(300);
    expect(m.subLines).toBeLessThanOrEqual(3.5);
    expect(m.tableInside).toBe(true);
    await phone.close();
  }, 120_000);

  it("trains the small VGG with batch norm, augmentation and a schedule from the URL, and shows its filters", async () => {
    await page.goto(
      `${app.url}?model=vgg-small&bn=1&augment=shift:2&schedule=cosine&epochs=1&batch=16&limit=32`,
    );
    await page.waitForSelector("#train:not([disabled])", { timeout: 30_000 });
    expect(
      await page.$$eval("#model option", (os) => os.map((o) => (o as HTMLOptionElement).value)),
    ).toEqual(["mlp", "lenet", "vgg-small", "resnet20"]);
    expect(await page.isChecked("#bn")).toBe(true);
    expect([await page.inputValue("#augment"), await page.inputValue("#schedule")]).toEqual([
      "shift:2",
      "cosine",
    ]);
    await page.click("#train");
    await page.waitForSelector("#test-accuracy[data-value]", { timeout: 240_000 });
    expect(await text("#model-info")).toBe(
      "small VGG with batch norm trained here on the CPU: 1 epoch (2 steps).",
    );
    const filters = await page.$$eval("#filters canvas", (cs) =>
      cs.map((c) => `${(c as HTMLCanvasElement).width}x${(c as HTMLCanvasElement).height}`),
    );
    expect(filters).toEqual(Array(32).fill("3x3"));
  }, 300_000);
});
