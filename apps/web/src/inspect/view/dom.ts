/** Attributes and properties of an element made by `h`: strings become attributes, functions listeners. */
type Props = Readonly<Record<string, string | number | boolean | ((e: Event) => void) | undefined>>;

/** A child of `h`: a node, text, or nothing. */
type Child = Node | string | number | null | undefined | false;

/** An HTML element with attributes (`on…` functions become listeners) and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
};

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
export const s = <K extends keyof SVGElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: readonly Child[]
): SVGElementTagNameMap[K] => {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
};

const setProps = (el: Element, props: Props): void => {
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
};

const append = (el: Element, children: readonly Child[]): void => {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
};

/** Bytes as B, KiB or MiB. */
export const formatBytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 ** 2).toFixed(2)} MiB`;

/** A shape as `[64,6,28,28]`. */
export const formatShape = (shape: readonly (number | string)[]): string => `[${shape.join(",")}]`;

/** A count with thousands separators. */
export const formatCount = (n: number): string => n.toLocaleString("en-US");

/**
 * A table whose columns sort on a click of their header (numbers descending first, text
 * ascending), with rows made by `row`; `onPick` receives the item of a clicked row.
 */
export const sortableTable = <T>(
  columns: readonly { readonly title: string; readonly key: (t: T) => number | string }[],
  items: readonly T[],
  row: (t: T) => readonly Child[],
  onPick?: (t: T, tr: HTMLTableRowElement) => void,
): HTMLTableElement => {
  const body = h("tbody");
  let order: readonly T[] = items;
  const fill = () => {
    body.replaceChildren(
      ...order.map((t) => {
        const tr = h("tr", {}, ...row(t).map((c) => h("td", {}, c)));
        if (onPick) tr.addEventListener("click", () => onPick(t, tr));
        return tr;
      }),
    );
  };
  let sorted: { col: number; dir: 1 | -1 } | undefined;
  const head = h(
    "tr",
    {},
    ...columns.map((c, i) =>
      h(
        "th",
        {
          scope: "col",
          tabindex: 0,
          "aria-sort": "none",
          onclick: (e: Event) => {
            const key = c.key;
            const numeric = items.length > 0 && typeof key(items[0]!) === "number";
            const dir: 1 | -1 = sorted?.col === i ? (sorted.dir === 1 ? -1 : 1) : numeric ? -1 : 1;
            sorted = { col: i, dir };
            order = [...items].sort((a, b) => {
              const x = key(a);
              const y = key(b);
              return (
                (typeof x === "number" && typeof y === "number"
                  ? x - y
                  : String(x).localeCompare(String(y))) * dir
              );
            });
            for (const th of head.children) th.setAttribute("aria-sort", "none");
            (e.currentTarget as Element).setAttribute(
              "aria-sort",
              dir === 1 ? "ascending" : "descending",
            );
            fill();
          },
        },
        c.title,
      ),
    ),
  );
  fill();
  return h("table", { class: "insp-table" }, h("thead", {}, head), body);
};
