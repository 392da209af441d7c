/// <reference lib="dom" />

/**
 * The view's only way to build DOM. Text from MOCO is data: children given as strings become text
 * nodes and attributes are set one by one, so no string is ever parsed as HTML (no innerHTML anywhere).
 */
export type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  return build(document.createElement(tag), attrs, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): SVGElementTagNameMap[K] {
  return build(document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K], attrs, children);
}

function build<E extends Element>(el: E, attrs: Attrs, children: (Child | Child[])[]): E {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (/^on/i.test(name)) throw new Error(`h(): ${name} takes a function, never a string`);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * Draws one part (a card, a column, a table row). A part that throws becomes a visible note naming
 * the error, and the parts around it still draw: one bad value must not blank the view, and its
 * fault is shown, not hidden.
 */
export function guarded(draw: () => Node, fallback: (message: string) => Node): Node {
  try {
    return draw();
  } catch (error) {
    return fallback(error instanceof Error ? error.message : String(error));
  }
}
