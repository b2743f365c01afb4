// A charge point's OCPP message log: every frame both ways, newest first, filterable by
// action and direction, each frame opening to its payload (or its raw text).

import { seg } from "../api.js";
import { badge, dataTable, field, jsonView, panel, select, time } from "../components.js";
import { h } from "../dom.js";
import { text } from "../format.js";
import { pagedList } from "../lists.js";

function direction(message) {
  return message.direction === "in"
    ? h("span", { title: "Sent by the charge point" }, "← in")
    : h("span", { title: "Sent by the CSMS" }, "→ out");
}

function messageType(message) {
  if (!message.messageType) return badge("Invalid", "not a frame");
  return message.messageType === "CALLERROR" ? badge("CallError", "CALLERROR") : h("code", {}, message.messageType);
}

function frameContent(message) {
  if (message.payload !== null && message.payload !== undefined) return jsonView(message.payload, `Payload of ${message.action || "frame"} ${message.messageId || ""}`);
  const note = message.truncated ? `Cut to ${message.raw.length} of ${message.size} characters` : "Not a valid frame: its text as received";
  return [h("p", { class: "muted" }, note), h("pre", { class: "json", tabindex: "0" }, message.raw)];
}

function summaryOf(message) {
  if (message.messageType === "CALLERROR" && message.payload) return `${message.payload.errorCode}: ${message.payload.errorDescription || ""}`;
  const shown = message.payload ? JSON.stringify(message.payload) : message.raw || "";
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}

const COLUMNS = [
  { label: "Time", cell: (m) => time(m.time) },
  { label: "Direction", cell: direction },
  { label: "Type", cell: messageType },
  { label: "Action", cell: (m) => text(m.action) },
  { label: "Message id", cell: (m) => h("code", {}, text(m.messageId)) },
  { label: "Answer (ms)", cell: (m) => (m.answerMs === null || m.answerMs === undefined ? "—" : m.answerMs.toFixed(1)), numeric: true },
  { label: "Payload", cell: (m) => h("details", { class: "frame" }, h("summary", {}, h("code", {}, summaryOf(m))), frameContent(m)) },
];

/** The panel of a charge point's page: filters in its head, a paged table below. */
export function messagesPanel(chargePointId) {
  const body = h("div", {});
  const action = h("input", { type: "search", name: "messageAction", placeholder: "Any", spellcheck: "false" });
  const way = select("messageDirection", [["", "Both"], ["in", "← from the charge point"], ["out", "→ to the charge point"]], "");
  const load = pagedList(
    body,
    `/charge-points/${seg(chargePointId)}/messages`,
    (data) => dataTable({ caption: "OCPP messages", rows: data.items, empty: "No frames logged (with these filters).", columns: COLUMNS }),
    () => ({ action: action.value.trim() || undefined, direction: way.value || undefined }),
  );
  action.addEventListener("change", load);
  way.addEventListener("change", load);
  const filters = h(
    "form",
    { class: "filters", role: "search", onsubmit: (event) => { event.preventDefault(); load(); } },
    field("Filter by action", action),
    field("Direction", way),
    h("button", { type: "submit", class: "button secondary small" }, "Reload"),
  );
  load();
  return panel("OCPP messages", { id: "cp-messages", actions: filters }, h("p", { class: "muted" }, "Every frame in both directions, newest first; open a payload to read it whole."), body);
}
