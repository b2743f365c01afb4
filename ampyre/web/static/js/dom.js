// Building DOM nodes. Every string becomes a text node or an attribute value, never
// markup: the console renders data from charge points and operators, and none of it may
// be parsed as HTML. This module is the only place that creates elements.

const SVG_NS = "http://www.w3.org/2000/svg";

// Properties set as DOM properties rather than attributes (their live state matters).
const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "required", "readOnly"]);

function apply(node, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "class") {
      node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (PROPERTIES.has(name)) {
      node[name] = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("a", {href: "#/x", class: "link"}, "text", otherNode). */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  apply(node, props);
  append(node, children);
  return node;
}

/** An SVG element, for the inline charts. */
export function svg(tag, props, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, props);
  append(node, children);
  return node;
}

/** Replace everything inside `node` with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

let nextId = 0;

/** A unique id, for label/aria wiring of generated controls. */
export function uid(prefix = "f") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}
