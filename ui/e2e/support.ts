//! Browser test plumbing: serve ui/dist on 127.0.0.1:0 under a strict CSP, launch /usr/bin/chromium through
//! playwright-core, inject the fake shell before the app runs, and read back what the app invoked.
import type { AxeResults } from "axe-core";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { Scenario } from "./harness/scenario";

const UI = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(UI, "dist");
const HARNESS = join(UI, "e2e/.build/harness.js");
export const SCREENSHOTS = join(UI, "../docs/screenshots");

/** The CSP the app runs under, read from `tauri.conf.json` (`app.security.csp`): the page must run under it without a single violation. */
export const CSP = cspOf(JSON.parse(readFileSync(join(UI, "../tauri.conf.json"), "utf8")));

function cspOf(config: { app: { security: { csp: Record<string, string> } } }): string {
  const directives = Object.entries(config.app.security.csp);
  if (directives.length === 0) throw new Error("tauri.conf.json sets no CSP");
  return directives.map(([name, value]) => `${name} ${value}`).join("; ");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export async function serveDist(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("ui/dist is missing: run `npm run build` first");
  if (!existsSync(HARNESS)) throw new Error("e2e/.build/harness.js is missing: run `npm run test:e2e`");
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (path === "/favicon.ico") {
      // Chromium asks for it on its own; the webview does not. Not an error of the app.
      res.writeHead(204).end();
      return;
    }
    const file = join(DIST, path === "/" ? "index.html" : path);
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, {
          "content-type": TYPES[extname(file)] ?? "application/octet-stream",
          "content-security-policy": CSP,
          "cache-control": "no-store",
        });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface AppPage {
  page: Page;
  context: BrowserContext;
  /** Problems the page reported: uncaught errors, console errors, dialogs (e.g. an `alert` from injected HTML). */
  problems: string[];
}

export async function openApp(
  browser: Browser,
  url: string,
  scenario: Scenario,
  options: { colorScheme?: "light" | "dark"; waitFor?: string; permissions?: string[] } = {},
): Promise<AppPage> {
  const context = await browser.newContext({
    viewport: { width: 420, height: 640 },
    deviceScaleFactor: 2,
    colorScheme: options.colorScheme ?? "light",
    locale: "en-US",
    reducedMotion: "no-preference",
    // e.g. ["clipboard-read", "clipboard-write"] for a test that reads back what the app copied.
    permissions: options.permissions ?? [],
  });
  await context.addInitScript({ content: `window.__AVISO_SCENARIO__ = ${JSON.stringify(scenario)};` });
  await context.addInitScript({ path: HARNESS });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url);
  await page.waitForSelector(options.waitFor ?? ".app:not([data-screen='loading'])");
  return { page, context, problems };
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

export function calls(page: Page, cmd?: string): Promise<Call[]> {
  return page.evaluate((name) => window.__aviso.calls.filter((c) => !name || c.cmd === name), cmd);
}

export function emit(page: Page, event: string, payload: unknown): Promise<void> {
  return page.evaluate(([e, p]) => window.__aviso.emit(e as string, p), [event, payload] as const);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  // Let transitions and the highlight flash settle so the picture shows the resting state.
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(SCREENSHOTS, name), animations: "disabled" });
}

/**
 * One Chromium and one server per test file; every page opened through `open` is checked after its test for
 * page errors, console errors, dialogs and CSP violations, then closed.
 */
export function useApp(): {
  open: (scenario: Scenario, options?: Parameters<typeof openApp>[3]) => Promise<AppPage>;
} {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveDist>> | undefined;
  let opened: AppPage[] = [];
  beforeAll(async () => {
    server = await serveDist();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    const pages = opened;
    opened = [];
    for (const app of pages) {
      const violations = await app.page.evaluate(() => window.__aviso.cspViolations).catch(() => []);
      await app.context.close();
      expect(app.problems, "page errors, console errors or dialogs").toEqual([]);
      expect(violations, "CSP violations").toEqual([]);
    }
  });
  return {
    open: async (scenario, options) => {
      if (!browser || !server) throw new Error("useApp() hooks did not run");
      const app = await openApp(browser, server.url, scenario, options);
      opened.push(app);
      return app;
    },
  };
}

/** axe-core, as a script to evaluate in the page. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** Per failing element: its CSS selector and what axe says is wrong with it (colours and ratio, missing name…). */
  nodes: { target: string; summary: string }[];
}

/**
 * What axe-core finds wrong with the page as it is now (every rule axe runs by default: WCAG 2.x A/AA and best
 * practices). axe is evaluated into the page through the DevTools protocol, as the harness is: the page's CSP
 * (`script-src 'self'`) refuses the inline <script> that `page.addScriptTag({ content })` would add.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe;
    const results = await axe.run(document);
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary ?? "" })),
    }));
  });
}

export const LANGS = [
  { lang: "es", locale: "es-ES" },
  { lang: "en", locale: "en-US" },
] as const;
