//! Vite build of the panel: `ui/dist` is what the Tauri shell loads (frontendDist `../ui/dist`).
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Relative asset URLs: the shell serves the files from its own custom protocol, not from a web root.
  base: "./",
  plugins: [svelte()],
  clearScreen: false,
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // CSP `script-src 'self'`: no inline modulepreload polyfill, no data: URLs for assets.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
