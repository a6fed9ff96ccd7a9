//! Context for the root state: App.svelte provides it, components take the part they render.
import { createContext } from "svelte";
import type { AvisoApp } from "./app.svelte";

export const [getApp, setApp] = createContext<AvisoApp>();
