//! Entry point: mounts the panel into #app (the Tauri shell loads dist/index.html).
import { mount } from "svelte";
import App from "./App.svelte";
// Inter ships inside the bundle (OFL), so the panel looks the same on every desktop; no remote fonts.
import "@fontsource-variable/inter/wght.css";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");

export default mount(App, { target });
