//! Svelte compiler options shared by Vite, svelte-check, eslint-plugin-svelte and prettier-plugin-svelte.

/** @type {import("@sveltejs/vite-plugin-svelte").SvelteConfig} */
export default {
  compilerOptions: {
    // Runes everywhere: no legacy reactivity sneaks into a component.
    runes: true,
  },
};
