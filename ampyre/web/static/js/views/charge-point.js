// One charge point: state, connectors, the command form and what the CSMS records about it.

import { api, seg } from "../api.js";
import { scheduleChart } from "../chart.js";
import { commandForm } from "../commands.js";
import { badge, connectedBadge, dataTable, details, field, jsonView, loadInto, loading, notice, pageHeader, panel, select, time, toast } from "../components.js";
import { h, fill } from "../dom.js";
import { text } from "../format.js";
import { navigate } from "../router.js";
import { transactionColumns } from "./transactions.js";
import { reservationColumns } from "./reservations.js";
import { chargePointRecordsPanel } from "./records.js";
import { messagesPanel } from "./messages.js";

const REFRESH_MS = 5000;

function reloadButton(onclick, label = "Reload") {
  return h("button", { type: "button", class: "button secondary small", onclick }, label);
}

function overview(cp, onRegistrationChange) {
  const registration = select("registrationStatus", ["Accepted", "Pending", "Rejected"], cp.registrationStatus);
  registration.id = "registration-select";
  registration.addEventListener("change", () => onRegistrationChange(registration.value));
  return details([
    ["Connection", connectedBadge(cp.connected)],
    ["Last seen", time(cp.lastSeen)],
    ["Last boot", cp.bootStatus ? h("span", {}, badge(cp.bootStatus), " ", time(cp.lastBoot)) : "never booted"],
    ["Next boot answered", h("span", { class: "inline-field" }, h("label", { class: "visually-hidden", for: registration.id }, "Answer the next BootNotification with"), registration)],
    ["Vendor", text(cp.chargePointVendor)],
    ["Model", text(cp.chargePointModel)],
    ["Serial number", text(cp.chargePointSerialNumber)],
    ["Charge box serial", text(cp.chargeBoxSerialNumber)],
    ["Firmware version", text(cp.firmwareVersion)],
    ["Firmware status", cp.firmwareStatus ? badge(cp.firmwareStatus) : "—"],
    ["Diagnostics status", cp.diagnosticsStatus ? badge(cp.diagnosticsStatus) : "—"],
    ["Meter", [cp.meterType, cp.meterSerialNumber].filter(Boolean).join(" · ") || "—"],
    ["ICCID / IMSI", [cp.iccid, cp.imsi].filter(Boolean).join(" · ") || "—"],
    ["Local list version", text(cp.localListVersion)],
    ["Security profile", `${cp.securityProfile}${cp.hasPassword ? " (password set)" : ""}`],
    ["Lenient", text(cp.lenient)],
    ["Registered", time(cp.createdAt)],
  ]);
}

function connectorsTable(connectors) {
  return dataTable({
    caption: "Connectors",
    rows: [...connectors].sort((a, b) => a.connectorId - b.connectorId),
    empty: "No StatusNotification received yet.",
    columns: [
      { label: "Connector", cell: (c) => (c.connectorId === 0 ? "0 (charge point)" : String(c.connectorId)) },
      { label: "Status", cell: (c) => badge(c.status) },
      { label: "Error", cell: (c) => (c.errorCode && c.errorCode !== "NoError" ? badge("Faulted", c.errorCode) : h("span", { class: "muted" }, text(c.errorCode))) },
      { label: "Info", cell: (c) => [c.info, c.vendorId, c.vendorErrorCode].filter(Boolean).join(" · ") || "—" },
      { label: "Since", cell: (c) => time(c.timestamp) },
    ],
  });
}

function profileSummary(profile) {
  const schedule = profile.chargingSchedule || {};
  const periods = schedule.chargingSchedulePeriod || [];
  const limits = periods.map((p) => `${p.startPeriod}s: ${p.limit} ${schedule.chargingRateUnit || ""}`.trim());
  return limits.join(", ") || "—";
}

function profilesTable(items) {
  return dataTable({
    caption: "Installed charging profiles",
    rows: items,
    empty: "No charging profile recorded as installed.",
    columns: [
      { label: "Profile id", cell: (p) => text(p.csChargingProfiles.chargingProfileId) },
      { label: "Connector", cell: (p) => String(p.connectorId) },
      { label: "Purpose", cell: (p) => text(p.csChargingProfiles.chargingProfilePurpose) },
      { label: "Kind", cell: (p) => text(p.csChargingProfiles.chargingProfileKind) },
      { label: "Stack level", cell: (p) => text(p.csChargingProfiles.stackLevel), numeric: true },
      { label: "Limits", cell: (p) => profileSummary(p.csChargingProfiles) },
      { label: "Valid", cell: (p) => [p.csChargingProfiles.validFrom ? time(p.csChargingProfiles.validFrom) : "—", " → ", p.csChargingProfiles.validTo ? time(p.csChargingProfiles.validTo) : "—"] },
      { label: "Profile", cell: (p) => h("details", {}, h("summary", {}, "JSON"), jsonView(p.csChargingProfiles, "Charging profile")) },
    ],
  });
}

function configurationTable(items, needle) {
  const rows = needle ? items.filter((k) => k.key.toLowerCase().includes(needle) || (k.value || "").toLowerCase().includes(needle)) : items;
  return dataTable({
    caption: "Configuration keys",
    rows,
    empty: items.length ? "No key matches the filter." : "No configuration recorded yet: send GetConfiguration to read it.",
    columns: [
      { label: "Key", cell: (k) => h("code", {}, k.key) },
      { label: "Value", cell: (k) => (k.value === null || k.value === undefined ? h("span", { class: "muted" }, "unknown") : h("span", { class: "wrap" }, k.value)) },
      { label: "Read-only", cell: (k) => text(k.readonly) },
      { label: "Known", cell: (k) => (k.known === false ? badge("Unknown", "unknown key") : text(k.known)) },
      { label: "Updated", cell: (k) => time(k.updatedAt) },
    ],
  });
}

function deviationsTable(items) {
  return dataTable({
    caption: "Schema deviations",
    rows: items,
    empty: "No schema deviations recorded.",
    columns: [
      { label: "Action", cell: (d) => text(d.action) },
      { label: "Path", cell: (d) => h("code", {}, text(d.path)) },
      { label: "Kind", cell: (d) => text(d.kind) },
      { label: "Detail", cell: (d) => text(d.detail) },
      { label: "Count", cell: (d) => text(d.count), numeric: true },
      { label: "Last seen", cell: (d) => time(d.lastSeen) },
    ],
  });
}

/**
 * The composite schedule of a chosen connector and window, as the CSMS computes it from the
 * profiles it records, drawn as a step chart.
 */
function compositeSchedulePanel(base, connectorIds) {
  const ids = [...new Set([0, ...connectorIds])].sort((a, b) => a - b);
  const connector = select("connectorId", ids.map((id) => [String(id), id === 0 ? "0 (charge point)" : String(id)]), String(ids.find((id) => id > 0) ?? 0));
  const duration = select("duration", [["3600", "1 hour"], ["21600", "6 hours"], ["86400", "24 hours"], ["604800", "7 days"]], "86400");
  const body = h("div", { "aria-live": "polite" });
  const load = () =>
    loadInto(body, async () => scheduleChart(await api.get(`${base}/connectors/${seg(connector.value)}/composite-schedule`, { duration: duration.value })), "Computing the composite schedule");
  connector.addEventListener("change", load);
  duration.addEventListener("change", load);
  load();
  return panel(
    "Composite schedule",
    { id: "cp-schedule", actions: [field("Connector", connector), field("Window", duration), reloadButton(load)] },
    h("p", { class: "muted" }, "The limit over time that the installed charging profiles make, as the CSMS computes it."),
    body,
  );
}

export async function chargePointPage(page) {
  const id = page.params.id;
  const base = `/charge-points/${seg(id)}`;
  let latest = null;
  let activeTransactionId = null;

  const headerBadge = h("span", {});
  const overviewBody = h("div", {});
  const connectorsBody = h("div", {});
  const transactionsBody = h("div", {});
  const reservationsBody = h("div", {});
  const profilesBody = h("div", {});
  const configurationBody = h("div", {});
  const deviationsBody = h("div", {});
  const configFilter = h("input", { type: "search", name: "configFilter", placeholder: "Filter keys…" });
  let configuration = [];

  const changeRegistration = async (status) => {
    try {
      await api.patch(base, { registrationStatus: status });
      toast(`The next BootNotification will be answered ${status}`);
      loadState();
    } catch (error) {
      toast(error.message, "error");
    }
  };

  const showState = () => {
    fill(headerBadge, connectedBadge(latest.connected));
    // The select keeps its own state while the operator uses it: rebuild only when idle.
    if (!overviewBody.contains(document.activeElement)) fill(overviewBody, overview(latest, changeRegistration));
    fill(connectorsBody, connectorsTable(latest.connectors));
  };

  const loadState = async () => {
    try {
      latest = await api.get(base);
    } catch (error) {
      fill(overviewBody, notice("error", error.status === 404 ? `No charge point ${id} is registered.` : error.message));
      fill(connectorsBody);
      return;
    }
    showState();
  };

  const loadTransactions = () =>
    loadInto(transactionsBody, async () => {
      const data = await api.get("/transactions", { chargePointId: id, limit: 10 });
      activeTransactionId = data.items.find((t) => t.active)?.transactionId ?? null;
      return [
        dataTable({ caption: "Transactions", rows: data.items, empty: "No transactions yet.", columns: transactionColumns({ withChargePoint: false, stoppable: true }) }),
        data.total > data.items.length ? h("p", {}, h("a", { href: `#/transactions?chargePointId=${seg(id)}` }, `All ${data.total} transactions →`)) : null,
      ];
    });

  const loadReservations = () =>
    loadInto(reservationsBody, async () => {
      const data = await api.get("/reservations", { chargePointId: id, limit: 10 });
      return [
        dataTable({ caption: "Reservations", rows: data.items, empty: "No reservations.", columns: reservationColumns({ withChargePoint: false }) }),
        data.total > data.items.length ? h("p", {}, h("a", { href: `#/reservations?chargePointId=${seg(id)}` }, `All ${data.total} reservations →`)) : null,
      ];
    });

  const loadProfiles = () => loadInto(profilesBody, async () => profilesTable((await api.get(`${base}/charging-profiles`)).items));

  const showConfiguration = () => configurationTable(configuration, configFilter.value.trim().toLowerCase());
  const loadConfiguration = () =>
    loadInto(configurationBody, async () => {
      configuration = (await api.get(`${base}/configuration`)).items;
      return showConfiguration();
    });
  configFilter.addEventListener("input", () => fill(configurationBody, showConfiguration()));

  const loadDeviations = () => loadInto(deviationsBody, async () => deviationsTable((await api.get(`${base}/deviations`)).items));

  const reloadRecords = () => {
    loadTransactions();
    loadReservations();
    loadProfiles();
    loadConfiguration();
    loadDeviations();
  };

  const remove = async () => {
    if (!window.confirm(`Remove charge point ${id}? It is disconnected and may no longer connect.`)) return;
    try {
      await api.delete(base);
      toast(`Charge point ${id} removed`);
      navigate("/charge-points");
    } catch (error) {
      toast(error.message, "error");
    }
  };

  const form = commandForm(id, {
    getContext: () => ({
      connectorIds: (latest?.connectors || []).map((c) => c.connectorId),
      activeTransactionId,
    }),
    onAnswered: () => {
      loadState();
      reloadRecords();
    },
  });

  fill(page.root, pageHeader(id, { back: ["#/charge-points", "Charge points"] }), loading("Loading charge point"));
  try {
    latest = await api.get(base);
  } catch (error) {
    fill(
      page.root,
      pageHeader(id, { back: ["#/charge-points", "Charge points"] }),
      notice("error", error.status === 404 ? `No charge point ${id} is registered.` : error.message),
    );
    return;
  }
  if (page.left) return;

  fill(
    page.root,
    pageHeader(id, {
      back: ["#/charge-points", "Charge points"],
      actions: [headerBadge, h("button", { type: "button", class: "button danger small", onclick: remove }, "Remove")],
    }),
    h(
      "nav",
      { class: "jump", "aria-label": "On this page" },
      [
        ["#cp-overview", "Overview"],
        ["#cp-command", "Send command"],
        ["#cp-transactions", "Transactions"],
        ["#cp-reservations", "Reservations"],
        ["#cp-profiles", "Charging profiles"],
        ["#cp-schedule", "Composite schedule"],
        ["#cp-configuration", "Configuration"],
        ["#cp-deviations", "Schema deviations"],
        ["#cp-messages", "OCPP messages"],
        ["#cp-records", "More records"],
      ].map(([target, label]) =>
        h("a", { href: target, onclick: (event) => { event.preventDefault(); document.querySelector(target)?.scrollIntoView({ behavior: "smooth" }); } }, label),
      ),
    ),
    h(
      "div",
      { class: "grid two" },
      panel("Overview", { id: "cp-overview" }, overviewBody),
      h(
        "div",
        { class: "stack" },
        panel("Connectors", { id: "cp-connectors" }, connectorsBody),
        panel("Send command", { id: "cp-command" }, form),
      ),
    ),
    panel("Transactions", { id: "cp-transactions", actions: reloadButton(loadTransactions) }, transactionsBody),
    panel("Reservations", { id: "cp-reservations", actions: reloadButton(loadReservations) }, reservationsBody),
    panel("Installed charging profiles", { id: "cp-profiles", actions: reloadButton(loadProfiles) }, profilesBody),
    compositeSchedulePanel(base, latest.connectors.map((c) => c.connectorId)),
    panel(
      "Configuration",
      {
        id: "cp-configuration",
        actions: [field("Filter keys", configFilter), reloadButton(loadConfiguration)],
      },
      h("p", { class: "muted" }, "As the charge point's last GetConfiguration and ChangeConfiguration answers showed it."),
      configurationBody,
    ),
    panel("Schema deviations", { id: "cp-deviations", actions: reloadButton(loadDeviations) }, deviationsBody),
    messagesPanel(id),
    chargePointRecordsPanel(id),
  );
  showState();
  reloadRecords();
  page.poll(loadState, REFRESH_MS, { chargePointId: id });
}
