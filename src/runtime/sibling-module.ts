// Where a module file next to the calling module is, in the form the caller itself runs as: Node runs
// src/*.ts directly (type stripping) and the image runs the compiled dist/*.js, and tsc rewrites
// import specifiers but not the URL strings handed to worker threads. Every worker spawn resolves
// its file here, so the two layouts cannot drift apart again.
import { extname } from "node:path";

/**
 * `siblingModule(import.meta.url, "./rsa-worker")` is `…/rsa-worker.ts` when called from a `.ts`
 * module and `…/rsa-worker.js` when called from the compiled `.js`.
 */
export function siblingModule(callerUrl: string, relativeStem: string): URL {
  if (!relativeStem.startsWith("./") && !relativeStem.startsWith("../")) {
    throw new TypeError(`siblingModule needs a relative path without extension, got "${relativeStem}"`);
  }
  if (extname(relativeStem) !== "") throw new TypeError(`siblingModule takes the name without extension, got "${relativeStem}"`);
  const extension = extname(new URL(callerUrl).pathname);
  if (extension === "") throw new TypeError(`cannot tell the module extension of ${callerUrl}`);
  return new URL(`${relativeStem}${extension}`, callerUrl);
}
