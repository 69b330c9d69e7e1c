// Bundles the compiled `tessera` command (dist/cli/main.js and everything it imports) into a few
// files in dist/bundle/, which bin/tessera.js runs. Why: start-up. Loading ~60 small ES modules
// and zod's ~100 files cost 100–200 ms of a one-shot `tessera process` on a 2-core VM; the
// bundle loads in about half that (bench:scale, "Start-up"). Each command stays its own chunk,
// imported when it runs, as in dist/cli/main.js.
//
//   node cli/bundle.mjs          (part of `npm run build`, after tsc)
//
// Packages stay outside the bundle, except the pure-JS ones whose many files are the cost
// (zod, hono, and what extends zod: one copy of zod, or the OpenAPI extension misses it), and
// sharp's JavaScript with what it imports (semver, detect-libc, colour): resolving and compiling
// those ~50 CommonJS files took ~60 of the ~70 ms `import("sharp")` costs; loading its native
// binary takes ~10. sharp finds that binary with createRequire(import.meta.url), by package name,
// which resolves from dist/bundle/ as well. The others resolve a path at run time (the kernels'
// .wasm, piscina's and pino's worker files, the Azure SDK's) and must load from node_modules as they are.
// Source files that find other files by `new URL(p, import.meta.url)` list a path that also
// holds from dist/bundle/ (one level below dist/, as dist/cli/ is).

import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INLINE = ["zod", "hono", "@hono/", "@asteasolutions/zod-to-openapi", "sharp", "semver", "detect-libc", "@img/colour"];
const inline = (id) => INLINE.some((p) => id === p || id.startsWith(p.endsWith("/") ? p : `${p}/`));

const out = `${ROOT}dist/bundle`;
rmSync(out, { recursive: true, force: true });
const bundle = await rolldown({
  input: { tessera: `${ROOT}dist/cli/main.js` },
  platform: "node",
  external: (id) => !id.startsWith(".") && !id.startsWith("/") && !inline(id),
  logLevel: "warn",
});
await bundle.write({ dir: out, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js", sourcemap: true });
await bundle.close();
