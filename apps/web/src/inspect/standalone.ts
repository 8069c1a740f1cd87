/**
 * The inspector as a page of its own: `loom inspect --format html` inlines this script, its
 * styles and the inspection JSON into one file that opens from disk with no network.
 */
import "./inspector.css";
import type { Inspection } from "./model/types";
import { mountInspector } from "./view/inspector";

const data = (window as unknown as { __LOOM_INSPECTION__?: Inspection }).__LOOM_INSPECTION__;
const root = document.getElementById("inspector");
if (root !== null) {
  if (data === undefined) root.textContent = "No inspection data in this page.";
  else mountInspector(root, data);
}
