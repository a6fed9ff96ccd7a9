//! ESLint flat config: typescript-eslint (type-aware) for .ts, eslint-plugin-svelte for components.
import js from "@eslint/js";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

export default ts.config(
  { ignores: ["dist/", "node_modules/", "e2e/.build/"] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Notification text is untrusted: it is rendered as text, never as HTML.
      "svelte/no-at-html-tags": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.name='eval']", message: "No eval: the CSP forbids it." },
        {
          selector: "NewExpression[callee.name='Function']",
          message: "No new Function: the CSP forbids it.",
        },
        {
          selector: "AssignmentExpression[left.property.name='innerHTML']",
          message: "Render text, never HTML.",
        },
      ],
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        extraFileExtensions: [".svelte"],
        parser: ts.parser,
        svelteConfig,
      },
    },
  },
  {
    // Only ipc.ts may talk to Tauri (STYLE.md §9); the e2e harness mocks it.
    files: ["src/**/*.ts", "src/**/*.svelte"],
    ignores: ["src/lib/ipc.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@tauri-apps/*"], message: "Talk to Tauri only through src/lib/ipc.ts." }] },
      ],
    },
  },
);
