// Vite builds the UI into ui/dist, which the desktop shell embeds.
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  envPrefix: ["VITE_", "TAURI_ENV_*"],
  // WebKitGTK 2.50 (the Linux webview) handles Safari 15 output.
  build: { target: "safari15", outDir: "dist", emptyOutDir: true },
  // Component tests mount views in jsdom, which needs Svelte's browser build, not its server one.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
  // The font test reads app.css as text; Vitest otherwise hands every style sheet over empty.
  // A view's test waits for real renders: on a loaded machine that is slower than Vitest's 5 s
  // default, and a test must fail on behaviour, not on the machine's load.
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    css: { include: [/app\.css/] },
    testTimeout: 30_000,
  },
}));
