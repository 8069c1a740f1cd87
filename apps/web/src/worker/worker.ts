/**
 * The training worker: loads the digits, then hands the page's requests to a session. Training
 * here keeps the page responsive; the session's backend yields between steps, so Stop and
 * digits to classify are answered while training runs.
 */
import { cpuKernelsInfo } from "@loom/backend-cpu";
import { DEFAULT_LR, splitMnist } from "@loom/models/browser";
import { decodeMnistAsset, MNIST_ASSET_NAME, toBytes } from "../data/mnist-asset";
import type { FromWorker, ToWorker } from "../protocol";
import { detectWebgl, makeBackend } from "./backends";
import type { Session } from "./session";
import { createSession, VALIDATION_DIGITS } from "./session";

const post = (message: FromWorker, transfer: Transferable[] = []) =>
  self.postMessage(message, { transfer });

let session: Session | undefined;

const init = async (assetUrl: string): Promise<void> => {
  const response = await fetch(assetUrl);
  if (!response.ok)
    throw new Error(`cannot fetch ${MNIST_ASSET_NAME}: ${response.status} ${response.statusText}`);
  const digits = decodeMnistAsset(new Uint8Array(await response.arrayBuffer()));
  const data = splitMnist(digits, MNIST_ASSET_NAME);
  session = createSession({ data, post, makeBackend });
  const webgl = await detectWebgl();
  const testImages = toBytes(data.test.images);
  const testLabels = Uint8Array.from(data.test.labels);
  post(
    {
      kind: "ready",
      webgl,
      cpu: { ...cpuKernelsInfo(), crossOriginIsolated: globalThis.crossOriginIsolated === true },
      optimizers: DEFAULT_LR,
      sizes: {
        train: data.train.count - VALIDATION_DIGITS,
        val: VALIDATION_DIGITS,
        test: data.test.count,
      },
      testImages,
      testLabels,
    },
    [testImages.buffer, testLabels.buffer],
  );
};

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.kind === "init") {
    init(m.assetUrl).catch((e: unknown) =>
      post({ kind: "error", during: "init", message: e instanceof Error ? e.message : String(e) }),
    );
    return;
  }
  if (session === undefined) {
    post({ kind: "error", during: "init", message: "The digits are still loading." });
    return;
  }
  switch (m.kind) {
    case "train":
      void session.train(m.config);
      break;
    case "stop":
      session.stop();
      break;
    case "classify":
      void session.classify(m.id, m.pixels);
      break;
    case "check":
      session.check(m.id, m.config);
      break;
    case "save":
      session.save();
      break;
    case "load":
      void session.load(m.fileName, new Uint8Array(m.bytes));
      break;
  }
};
