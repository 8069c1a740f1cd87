/**
 * The inspector's data model: `loom inspect --json` prints it, `--format html` inlines it, and
 * the web app's Inspect view builds it in the page.
 *
 * @module \@loom/web/inspect
 */
export * from "./types";
export * from "./build";
export * from "./profile";
export * from "./stages";
export * from "./setup";
export * from "./setup-text";
