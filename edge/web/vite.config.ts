// Builds the browser UI (edge/web) into edge/web/dist; the gateway serves that folder at "/".
// `npm run build:web` from the repository root. `npx vite --config edge/web/vite.config.ts` runs a dev
// server that proxies /v1 to a running gateway (TESSERA_API, default http://127.0.0.1:8080).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const api = process.env.TESSERA_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  root,
  // Relative asset URLs: the UI works wherever the gateway mounts it.
  base: "./",
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // The kernels' .wasm is always a separate asset (never a data: URL), so it is cached and streamed.
    assetsInlineLimit: (file) => (file.endsWith(".wasm") ? false : undefined),
  },
  worker: { format: "es" },
  server: {
    proxy: {
      "/v1": { target: api, changeOrigin: true },
      "/healthz": { target: api, changeOrigin: true },
    },
  },
});
