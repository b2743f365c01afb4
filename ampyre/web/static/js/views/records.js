// Read-only views of what the optional profiles record (firmware, diagnostics, local lists,
// remote triggers, remote starts). Their shapes differ and grow, so one generic renderer
// shows any list: a column per field, times as times, statuses as badges, the rest as JSON.

import { seg } from "../api.js";
import { badge, dataTable, details, jsonView, pageHeader, panel, time } from "../components.js";
import { h, fill } from "../dom.js";
import { text } from "../format.js";
import { pagedList } from "../lists.js";

const MAX_COLUMNS = 9;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Lists across the whole CSMS: #/records/<name>. */
export const FLEET_RECORDS = [
  { name: "local-lists", path: "/local-lists", title: "Local lists", about: "Every charge point's local authorization list: versions, whether it is out of date." },
  { name: "firmware", path: "/firmware", title: "Firmware images", about: "Images hosted by this server for UpdateFirmware." },
  { name: "firmware-rollouts", path: "/firmware-rollouts", title: "Firmware rollouts", about: "Firmware updates across several charge points, and their progress." },
  { name: "remote-starts", path: "/remote-starts", title: "Remote starts", about: "RemoteStartTransaction requests and the transactions they became." },
  { name: "unmatched-stops", path: "/unmatched-stops", title: "Unmatched stops", about: "StopTransactions naming a transaction the CSMS never assigned." },
  { name: "webhooks", path: "/webhooks", title: "Webhooks", about: "URLs the live events are POSTed to, signed (operators read, admins manage)." },
  { name: "audit-log", path: "/audit-log", title: "Audit log", about: "Every command an operator sent and every change: who, when, what, from where (admins)." },
];

/** Lists about one charge point, shown on its page. */
export const CHARGE_POINT_RECORDS = [
  { path: "/triggers", title: "Remote triggers" },
  { path: "/firmware-updates", title: "Firmware updates" },
  { path: "/diagnostics-requests", title: "Diagnostics requests" },
  { path: "/diagnostics", title: "Diagnostics files" },
  { path: "/local-list", title: "Local list" },
];

function isStatusField(key) {
  return key === "status" || key === "state" || key === "lastResult" || /Status$/.test(key);
}

function cell(key, value) {
  if (value === null || value === undefined || value === "") return h("span", { class: "muted" }, "—");
  if (typeof value === "object") return h("details", {}, h("summary", {}, Array.isArray(value) ? `${value.length} items` : "JSON"), jsonView(value, key));
  if (typeof value === "string" && ISO_TIME.test(value)) return time(value);
  if (key === "chargePointId") return h("a", { href: `#/charge-points/${seg(value)}` }, String(value));
  if (key === "transactionId") return h("a", { href: `#/transactions/${seg(value)}` }, `#${value}`);
  if (key === "rolloutId") return h("a", { href: `#/firmware-rollouts/${seg(value)}` }, `#${value}`);
  if (typeof value === "string" && isStatusField(key)) return badge(value);
  return text(value);
}

const LABELS = { chargePointId: "Charge point", transactionId: "Transaction", rolloutId: "Rollout" };

/** "requestedAt" -> "Requested at". */
function label(key) {
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function recordsTable(items, caption, { omit = [] } = {}) {
  const keys = [];
  for (const item of items) for (const key of Object.keys(item)) if (!keys.includes(key) && !omit.includes(key)) keys.push(key);
  const shown = keys.slice(0, MAX_COLUMNS);
  const rest = keys.slice(MAX_COLUMNS);
  const columns = shown.map((key) => ({ label: label(key), cell: (row) => cell(key, row[key]) }));
  if (rest.length) {
    columns.push({ label: "More", cell: (row) => cell("more", Object.fromEntries(rest.map((k) => [k, row[k]]))) });
  }
  return dataTable({ caption, rows: items, columns, empty: `No ${caption.toLowerCase()} recorded.` });
}

export function recordDetails(record) {
  return details(Object.entries(record).map(([key, value]) => [label(key), cell(key, value)]));
}

/** One record list or object at `path`, rendered into `container`. */
export function loadRecords(container, path, caption, { omit } = {}) {
  const render = (data) => (data && Array.isArray(data.items) ? recordsTable(data.items, caption, { omit }) : recordDetails(data || {}));
  return pagedList(container, path, render)();
}

export function recordsIndexPage(page) {
  fill(
    page.root,
    pageHeader("More records", { subtitle: "What the optional OCPP profiles record. Commands for them are on each charge point's page." }),
    h(
      "ul",
      { class: "cards" },
      FLEET_RECORDS.map((record) => h("li", { class: "panel" }, h("h2", {}, h("a", { href: `#/records/${record.name}` }, record.title)), h("p", { class: "muted" }, record.about))),
    ),
  );
}

export function recordsPage(page) {
  const record = FLEET_RECORDS.find((r) => r.name === page.params.name);
  if (!record) {
    fill(page.root, pageHeader("Not found", { back: ["#/records", "More records"] }), h("p", {}, "No such record list."));
    return;
  }
  const body = h("div", {});
  fill(page.root, pageHeader(record.title, { back: ["#/records", "More records"], subtitle: record.about }), panel(record.title, {}, body));
  loadRecords(body, record.path, record.title);
}

/** The charge point page's panel: a switch between its record lists. */
export function chargePointRecordsPanel(chargePointId) {
  const body = h("div", {});
  const buttons = CHARGE_POINT_RECORDS.map((record, index) =>
    h(
      "button",
      {
        type: "button",
        class: "button secondary small",
        "aria-pressed": index === 0 ? "true" : "false",
        onclick: (event) => {
          for (const other of buttons) other.setAttribute("aria-pressed", "false");
          event.currentTarget.setAttribute("aria-pressed", "true");
          show(record);
        },
      },
      record.title,
    ),
  );
  const show = (record) => {
    fill(body);
    loadRecords(body, `/charge-points/${seg(chargePointId)}${record.path}`, record.title, { omit: ["chargePointId"] });
  };
  show(CHARGE_POINT_RECORDS[0]);
  return panel("More records", { id: "cp-records", actions: h("div", { class: "segmented", role: "group", "aria-label": "Record list" }, buttons) }, body);
}
