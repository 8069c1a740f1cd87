import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Rollup } from "vite";
import type { Inspection } from "@loom/web/inspect";
import { LoomError } from "@loom/graph";
import type { InspectorBundle } from "./inspector-cache";
import { cachedBundle } from "./inspector-cache";

/** The web app's folder, whose inspector view the HTML file bundles. */
const WEB_APP = fileURLToPath(new URL("../../../web/", import.meta.url));

/** The global the standalone view reads its inspection from. */
export const INSPECTION_GLOBAL = "__LOOM_INSPECTION__";

/** Text safe inside a `<script>` element: no `</script` and no `<!--` can end or hide it. */
const scriptSafe = (s: string): string => s.replace(/<(?=\/script|!--)/gi, "\\u003c");

/**
 * Bundles the web app's standalone inspector (`src/inspect/standalone.ts`) into one script and
 * one stylesheet with Vite, in memory: the view only, no data-model builder and no backend.
 */
export const bundleInspector = async (): Promise<InspectorBundle> => {
  // Loaded only on a cache miss: importing Vite alone costs the CLI seconds.
  const { build } = await import("vite");
  const out = await build({
    configFile: false,
    root: WEB_APP,
    logLevel: "warn",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: {
      write: false,
      target: "es2022",
      cssCodeSplit: false,
      lib: {
        entry: "src/inspect/standalone.ts",
        formats: ["iife"],
        name: "loomInspector",
        fileName: () => "inspector.js",
      },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Rollup.RollupOutput[];
  const files = outputs.flatMap((o) => o.output);
  const js = files.flatMap((f) => (f.type === "chunk" ? [f.code] : []));
  const css = files.flatMap((f) =>
    f.type === "asset" && f.fileName.endsWith(".css") ? [String(f.source)] : [],
  );
  if (js.length !== 1)
    throw new LoomError(
      "io",
      "inspect",
      `the inspector bundle has ${js.length} scripts, not one; check apps/web/src/inspect/standalone.ts`,
    );
  return { js: js[0]!, css: css.join("\n") };
};

/**
 * The inspector bundle, built once per content of its sources (the inspector's folder, the web
 * app's package.json with its pinned layout libraries, and this build recipe) and then read from
 * `$LOOM_CACHE_DIR` (default: the web app's `node_modules/.cache/loom-inspector`).
 */
export const inspectorBundle = (env: NodeJS.ProcessEnv = process.env): Promise<InspectorBundle> =>
  cachedBundle({
    dir: env["LOOM_CACHE_DIR"] ?? join(WEB_APP, "node_modules", ".cache", "loom-inspector"),
    sources: [
      join(WEB_APP, "src", "inspect"),
      join(WEB_APP, "package.json"),
      fileURLToPath(import.meta.url),
    ],
    build: bundleInspector,
  });

/**
 * A self-contained HTML page: the inspector's script, its styles and the inspection JSON
 * inlined, so it opens from disk (`file://`) with no server and makes no network request.
 */
export const inspectionHtml = (inspection: Inspection, bundle: InspectorBundle) => {
  const title = `loom inspect: ${inspection.subject.model}${inspection.subject.train ? " (training step)" : ""}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; worker-src blob: data:">
<title>${title.replace(/[<&]/g, "")}</title>
<style>${bundle.css.replace(/<\/style/gi, "<\\/style")}</style>
</head>
<body>
<div id="inspector"></div>
<script>window.${INSPECTION_GLOBAL} = ${scriptSafe(JSON.stringify(inspection))};</script>
<script>${scriptSafe(bundle.js)}</script>
</body>
</html>
`;
};
