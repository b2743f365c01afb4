// The landing page: the fleet at a glance, from GET /dashboard (one request of SQL
// aggregates, however many charge points there are), refreshed while it is open.

import { api, seg } from "../api.js";
import { badge, dataTable, loadInto, pageHeader, panel, time } from "../components.js";
import { h } from "../dom.js";
import { text } from "../format.js";

const REFRESH_MS = 10000;

/** A row of big numbers; each value carries a test id and the label names it for readers. */
function stats(pairs) {
  return h(
    "dl",
    { class: "stats" },
    pairs.map(([label, value, tone, key]) =>
      h("div", { class: ["stat", tone ? `tone-${tone}` : null] }, h("dt", {}, label), h("dd", { "data-testid": `stat-${key}` }, value)),
    ),
  );
}

const kwh = (value) => `${Number(value).toFixed(2)} kWh`;
const cpLink = (id) => h("a", { href: `#/charge-points/${seg(id)}` }, id);

function connectorStats(connectors) {
  const entries = Object.entries(connectors).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return h("p", { class: "empty" }, "No connector has reported a status yet.");
  return h(
    "ul",
    { class: "badges", "aria-label": "Connectors by status" },
    entries.map(([status, count]) => h("li", { "data-testid": `connectors-${status}` }, badge(status, `${status}: ${count}`))),
  );
}

function render(board) {
  const cps = board.chargePoints;
  return [
    panel(
      "Charge points",
      {
        id: "dash-charge-points",
        actions: [h("a", { href: "#/register-charge-point" }, "Register charge point"), h("a", { href: "#/charge-points" }, "All charge points →")],
      },
      stats([
        ["Registered", cps.total, null, "total"],
        ["Online", cps.online, cps.online ? "ok" : null, "online"],
        ["Offline", cps.offline, cps.offline ? "muted" : null, "offline"],
        ["Faulted", cps.faulted, cps.faulted ? "bad" : null, "faulted"],
      ]),
    ),
    h(
      "div",
      { class: "grid two" },
      panel("Connectors by status", { id: "dash-connectors" }, connectorStats(board.connectors)),
      panel(
        "Charging",
        { id: "dash-charging", actions: h("a", { href: "#/transactions?active=true" }, "Active transactions →") },
        stats([
          ["Active transactions", board.activeTransactions, board.activeTransactions ? "busy" : null, "active"],
          ["Energy today", kwh(board.energy.todayKwh), null, "energy-today"],
          ["Energy this month", kwh(board.energy.monthKwh), null, "energy-month"],
        ]),
        h("p", { class: "hint" }, "Energy of the transactions stopped since 00:00 UTC today and since the 1st of the month."),
      ),
    ),
    h(
      "div",
      { class: "grid two" },
      panel(
        "Recent faults",
        { id: "dash-faults" },
        dataTable({
          caption: "Recent faults",
          rows: board.recentFaults,
          empty: "No connector is Faulted.",
          columns: [
            { label: "Charge point", cell: (f) => cpLink(f.chargePointId) },
            { label: "Connector", cell: (f) => String(f.connectorId), numeric: true },
            { label: "Error", cell: (f) => badge("Faulted", f.errorCode) },
            { label: "Info", cell: (f) => [f.info, f.vendorErrorCode].filter(Boolean).join(" · ") || "—" },
            { label: "Since", cell: (f) => time(f.timestamp) },
          ],
        }),
      ),
      panel(
        "Recent security events",
        { id: "dash-security" },
        dataTable({
          caption: "Recent security events",
          rows: board.recentSecurityEvents,
          empty: "No security event received.",
          columns: [
            { label: "Charge point", cell: (e) => cpLink(e.chargePointId) },
            { label: "Type", cell: (e) => h("code", {}, e.type) },
            { label: "Tech info", cell: (e) => text(e.techInfo) },
            { label: "When", cell: (e) => time(e.timestamp) },
          ],
        }),
      ),
    ),
  ];
}

export function dashboardPage(page) {
  const body = h("div", { class: "stack" });
  page.root.append(pageHeader("Dashboard", { subtitle: "The fleet at a glance, refreshed every few seconds." }), body);
  const load = () => loadInto(body, async () => render(await api.get("/dashboard")), "Loading the dashboard");
  load();
  // Not while the operator is in a table: a rebuild would take their keyboard focus.
  page.poll(() => (body.contains(document.activeElement) ? undefined : load()), REFRESH_MS);
}
