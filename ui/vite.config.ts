import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// `weft serve` serves the built app (crates/weft-ui embeds dist/). For `npm run dev`, the API
// is proxied to a running `weft serve` (WEFT_URL, default http://127.0.0.1:8080).
const api = process.env.WEFT_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    // No inline scripts or data: modules: the page's CSP allows scripts from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/api": api,
      "/webhook": api,
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
