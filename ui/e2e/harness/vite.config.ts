//! Bundles the fake shell (mock.ts + @tauri-apps/api/mocks) into one classic script for page.addInitScript.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  logLevel: "warn",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("../.build", import.meta.url)),
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: fileURLToPath(new URL("./mock.ts", import.meta.url)),
      formats: ["iife"],
      name: "AvisoHarness",
      fileName: () => "harness.js",
    },
  },
});
