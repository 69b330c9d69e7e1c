// Bundles the compiled package (dist/index.js and the ~35 modules it imports) into one ES module,
// dist/tessera.js, which package.json exports. Why: start-up. Every pool thread of a one-shot
// `tessera process` imports the kernels, and loading 35 small modules cost ~80 ms on a 2-core
// VM; one module loads in a fraction of that. The .wasm is still found beside the module
// (`new URL("./tessera.wasm", import.meta.url)` is kept as written, and the bundle sits in dist/).
//
//   node bundle.mjs          (part of the package's build, after tsc)

import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const DIST = fileURLToPath(new URL("./dist/", import.meta.url));
const bundle = await rolldown({ input: `${DIST}index.js`, platform: "neutral", logLevel: "warn" });
await bundle.write({ file: `${DIST}tessera.js`, format: "esm", sourcemap: true });
await bundle.close();
