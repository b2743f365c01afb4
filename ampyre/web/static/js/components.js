// Reusable pieces of the pages: badges, tables, panels, forms, notices.

import { h, fill, uid } from "./dom.js";
import { ago, localTime, tone } from "./format.js";

export function badge(status, label) {
  if (status === null || status === undefined || status === "") {
    return h("span", { class: "badge tone-neutral" }, label ?? "—");
  }
  return h("span", { class: `badge tone-${tone(status)}` }, label ?? String(status));
}

export function connectedBadge(connected) {
  return h(
    "span",
    { class: ["badge", "dot", connected ? "tone-ok" : "tone-muted"] },
    connected ? "Connected" : "Offline",
  );
}

/** A timestamp: relative text, the exact local time on hover, the ISO value for machines. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  return h("time", { datetime: iso, title: localTime(iso) }, ago(iso));
}

export function notice(kind, message) {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, message);
}

export function loading(what = "Loading") {
  return h("p", { class: "loading", "aria-busy": "true" }, `${what}…`);
}

export function jsonView(value, label) {
  return h("pre", { class: "json", tabindex: "0", "aria-label": label || "JSON" }, JSON.stringify(value, null, 2));
}

/**
 * A table. columns: [{label, cell(row) -> Node|string, className?, numeric?}].
 * Wrapped in a scroll container so wide tables never break the page on small screens.
 */
export function dataTable({ caption, columns, rows, empty = "Nothing here yet.", rowClass }) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : c.className }, c.label)));
  const body = rows.map((row) =>
    h(
      "tr",
      { class: rowClass ? rowClass(row) : null },
      columns.map((c, index) => {
        const content = c.cell(row);
        const props = { class: [c.numeric ? "num" : null, c.className].filter(Boolean).join(" ") || null };
        return index === 0 && c.header !== false ? h("th", { scope: "row", ...props }, content) : h("td", props, content);
      }),
    ),
  );
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption || null, tabindex: "0" },
    h("table", {}, caption ? h("caption", { class: "visually-hidden" }, caption) : null, h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** "1–50 of 130" with previous/next buttons; `go(offset)` loads another page. */
export function pager({ total, limit, offset, go }) {
  if (total <= limit && offset === 0) return h("p", { class: "pager muted" }, `${total} in total`);
  const last = Math.min(offset + limit, total);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "button secondary small", disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) }, "← Previous"),
    h("span", {}, total ? `${offset + 1}–${last} of ${total}` : "0 of 0"),
    h("button", { type: "button", class: "button secondary small", disabled: last >= total, onclick: () => go(offset + limit) }, "Next →"),
  );
}

/** A titled card. `actions` sit on the right of the title. */
export function panel(title, { actions, id, level = 2 } = {}, ...children) {
  const headingId = id ? `${id}-title` : uid("panel");
  return h(
    "section",
    { class: "panel", id, "aria-labelledby": headingId },
    h("div", { class: "panel-head" }, h(`h${level}`, { id: headingId }, title), actions ? h("div", { class: "panel-actions" }, actions) : null),
    ...children,
  );
}

/** Label/value pairs; values may be nodes. */
export function details(pairs) {
  return h(
    "dl",
    { class: "details" },
    pairs.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value ?? "—"))),
  );
}

/** A labelled form control; `control` is an input/select/textarea element. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid("field");
  const hintNode = hint ? h("small", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintNode);
}

export function select(name, options, value) {
  return h(
    "select",
    { name },
    options.map((option) => {
      const [optionValue, optionLabel] = Array.isArray(option) ? option : [option, option];
      return h("option", { value: optionValue, selected: optionValue === value }, optionLabel);
    }),
  );
}

/** Fill `container` with what `load()` renders; show its error in place when it fails. */
export async function loadInto(container, load, what) {
  if (!container.childElementCount) fill(container, loading(what));
  try {
    fill(container, await load());
  } catch (error) {
    fill(container, notice("error", error.message));
  }
}

/**
 * Run a form's submission: the button is disabled meanwhile, and a failure is shown in
 * `status` as `describe(error)` (the server's detail by default).
 */
export async function submitting(button, status, work, describe = (error) => error.message) {
  button.disabled = true;
  fill(status);
  try {
    await work();
  } catch (error) {
    fill(status, notice("error", describe(error)));
  } finally {
    button.disabled = false;
  }
}

let toastTimer = null;

/** A short message in the polite live region (bottom of the screen). */
export function toast(message, kind = "ok") {
  const region = document.getElementById("toast");
  fill(region, h("span", { class: `toast-message ${kind}` }, message));
  region.classList.add("visible");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => region.classList.remove("visible"), 4000);
}

export function link(href, label) {
  return h("a", { href }, label);
}

/** The page title row: heading, optional subtitle and actions. Focused on navigation. */
export function pageHeader(title, { subtitle, actions, back } = {}) {
  return h(
    "div",
    { class: "page-head" },
    back ? h("a", { class: "back", href: back[0] }, `← ${back[1]}`) : null,
    h("div", { class: "page-title" }, h("h1", { tabindex: "-1" }, title), actions ? h("div", { class: "page-actions" }, actions) : null),
    subtitle ? h("p", { class: "subtitle" }, subtitle) : null,
  );
}
