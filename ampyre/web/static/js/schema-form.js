// A form generated from an OCPP JSON schema (the official request schemas the server serves
// at GET /commands/schemas): enums become selects, integers and numbers number inputs,
// booleans a yes/no select, nested objects fieldsets, arrays lists with add and remove.
// Required fields are marked; an optional field left empty is left out of the body.

import { field } from "./components.js";
import { h, fill, uid } from "./dom.js";

/** `{"$ref": "#/definitions/X"}` -> the definition (the security extension's schemas use them). */
function resolve(schema, root) {
  let current = schema;
  while (current && current.$ref) {
    const path = current.$ref.replace(/^#\//, "").split("/");
    current = path.reduce((node, key) => node?.[key], root);
  }
  return current || {};
}

const isEmpty = (value) => value === undefined || (typeof value === "object" && value !== null && !Array.isArray(value) && !Object.keys(value).length);

function labelText(name, required) {
  return required ? [name, h("abbr", { class: "required", title: "required" }, " *")] : name;
}

/** A control for one value; returns {element, read}, read() giving undefined for "not set". */
function control(schema, root, value, name, required, changed) {
  const s = resolve(schema, root);
  if (s.type === "object") return objectControl(s, root, value, name, required, changed);
  if (s.type === "array") return arrayControl(s, root, value, name, required, changed);

  let input;
  let read;
  if (Array.isArray(s.enum) || s.type === "boolean") {
    const options = s.type === "boolean" ? [["true", "true"], ["false", "false"]] : s.enum.map((v) => [v, v]);
    const current = value === undefined ? "" : String(value);
    // The select shows what the JSON holds: nothing chosen yet, or a value the schema refuses.
    if (current !== "" && !options.some(([v]) => v === current)) options.push([current, `${current} (not allowed)`]);
    input = h(
      "select",
      { name },
      !required || current === "" ? h("option", { value: "", selected: current === "" }, required ? "(choose)" : "(not set)") : null,
      options.map(([v, label]) => h("option", { value: v, selected: v === current }, label)),
    );
    read = () => (input.value === "" ? undefined : s.type === "boolean" ? input.value === "true" : input.value);
  } else if (s.type === "integer" || s.type === "number") {
    input = h("input", { type: "number", name, step: s.type === "integer" ? "1" : "any", inputmode: s.type === "integer" ? "numeric" : "decimal", value: value === undefined ? "" : String(value) });
    if (s.minimum !== undefined) input.min = String(s.minimum);
    if (s.maximum !== undefined) input.max = String(s.maximum);
    read = () => (input.value.trim() === "" ? undefined : Number(input.value));
  } else {
    const long = (s.maxLength || 0) > 512;
    input = long
      ? h("textarea", { name, rows: "4", class: "code", spellcheck: "false", value: value === undefined ? "" : String(value) })
      : h("input", { type: "text", name, spellcheck: "false", value: value === undefined ? "" : String(value), placeholder: s.format === "date-time" ? "2026-01-01T00:00:00Z" : null });
    if (s.maxLength) input.maxLength = s.maxLength;
    read = () => (input.value === "" && !required ? undefined : input.value);
  }
  input.required = Boolean(required);
  input.addEventListener("input", changed);
  input.addEventListener("change", changed);
  const hint = Array.isArray(s.enum) ? null : [s.type, s.format, s.maxLength ? `up to ${s.maxLength} characters` : null].filter(Boolean).join(", ");
  const wrapper = field(labelText(name, required), input, hint);
  wrapper.classList.add("schema-field");
  return { element: wrapper, read };
}

function objectControl(s, root, value, name, required, changed, top = false) {
  const given = value && typeof value === "object" ? value : {};
  const needed = new Set(s.required || []);
  const children = Object.entries(s.properties || {}).map(([key, child]) => [key, control(child, root, given[key], key, needed.has(key), changed)]);
  const read = () => {
    const result = {};
    for (const [key, child] of children) {
      const v = child.read();
      if (v !== undefined && !(isEmpty(v) && !needed.has(key))) result[key] = v;
    }
    return isEmpty(result) && !required && !top ? undefined : result;
  };
  const items = children.map(([, child]) => child.element);
  if (top) return { element: h("div", { class: "schema-object" }, items.length ? items : h("p", { class: "muted" }, "This action has no fields.")), read };
  return { element: h("fieldset", { class: "schema-object" }, h("legend", {}, labelText(name, required)), items), read };
}

function arrayControl(s, root, value, name, required, changed) {
  const list = h("ol", { class: "schema-array" });
  const rows = [];
  const add = (itemValue) => {
    const item = control(s.items || {}, root, itemValue, `${name} item`, true, changed);
    const row = h("li", {}, item.element);
    const entry = { row, item };
    row.append(
      h("button", { type: "button", class: "button secondary small", onclick: () => { rows.splice(rows.indexOf(entry), 1); row.remove(); changed(); } }, `Remove ${name} item`),
    );
    rows.push(entry);
    list.append(row);
  };
  for (const itemValue of Array.isArray(value) ? value : []) add(itemValue);
  const read = () => {
    const values = rows.map(({ item }) => item.read()).filter((v) => v !== undefined);
    return values.length || required ? values : undefined;
  };
  return {
    element: h(
      "fieldset",
      { class: "schema-list" },
      h("legend", {}, labelText(name, required)),
      list,
      h("button", { type: "button", class: "button secondary small", onclick: () => { add(undefined); changed(); } }, `Add ${name} item`),
    ),
    read,
  };
}

/**
 * The form of `schema` filled with `value`; `onChange(body)` after every edit. Returns
 * `{element, read}`.
 */
export function schemaForm(schema, value, onChange) {
  let form;
  const changed = () => onChange(form.read());
  form = objectControl(schema, schema, value, schema.title || "body", true, changed, true);
  form.element.id = uid("schema-form");
  return form;
}

/** Replace `container`'s form with one of `schema` holding `value`. */
export function showSchemaForm(container, schema, value, onChange) {
  const form = schemaForm(schema, value, onChange);
  fill(container, form.element);
  return form;
}
