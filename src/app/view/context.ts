/// <reference lib="dom" />
import type { HostContext } from "./bridge.js";

/**
 * Follows the host: its theme (color-scheme, so the light-dark() defaults in view.css resolve), its
 * CSS variables (they override those defaults), its fonts, display mode and container size.
 */
export function applyContext(ctx: HostContext): void {
  const root = document.documentElement;
  const dark = ctx.theme ? ctx.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  root.dataset.theme = dark ? "dark" : "light";
  root.style.colorScheme = dark ? "dark" : "light";
  for (const [name, value] of Object.entries(ctx.styles?.variables ?? {})) {
    if (name.startsWith("--") && typeof value === "string") root.style.setProperty(name, value);
  }
  const fonts = ctx.styles?.css?.fonts;
  if (typeof fonts === "string") {
    let style = document.getElementById("host-fonts");
    if (!style) {
      style = document.createElement("style");
      style.id = "host-fonts";
      document.head.append(style);
    }
    style.textContent = fonts;
  }
  root.dataset.displayMode = ctx.displayMode ?? "inline";
  if (ctx.locale) root.lang = ctx.locale;
  const box = ctx.containerDimensions;
  if (box) {
    // Fixed: fill the container (the board scrolls inside). Flexible: grow with the content up to the max.
    root.dataset.fixedHeight = String(box.height !== undefined);
    root.style.height = box.height !== undefined ? "100vh" : "";
    root.style.maxHeight = box.height === undefined && box.maxHeight ? `${box.maxHeight}px` : "";
    root.style.width = box.width !== undefined ? "100vw" : "";
    root.style.maxWidth = box.width === undefined && box.maxWidth ? `${box.maxWidth}px` : "";
  }
}

/** The spec's rule for partial updates: the new fields replace the old, the rest stays. */
export const mergeContext = (ctx: HostContext, change: HostContext): HostContext => ({ ...ctx, ...change });
