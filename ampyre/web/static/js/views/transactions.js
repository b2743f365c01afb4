// Transactions: the filtered list, and one transaction with its meter values and chart.

import { api, request, seg } from "../api.js";
import { energyChart, energyPoints } from "../chart.js";
import { badge, dataTable, details, loading, notice, pageHeader, panel, time, toast } from "../components.js";
import { h, fill } from "../dom.js";
import { energy, text } from "../format.js";
import { filteredListPage } from "../lists.js";

const REFRESH_MS = 10000;

export const transactionLink = (id) => h("a", { href: `#/transactions/${seg(id)}`, class: "strong" }, `#${id}`);
const chargePointLink = (id) => h("a", { href: `#/charge-points/${seg(id)}` }, id);
const stateBadge = (t) => (t.active ? badge("Charging", "Active") : badge("Finished", "Finished"));

/**
 * A running transaction's Stop button: after the operator confirms, RemoteStopTransaction
 * goes through the generic command endpoint, and the charge point's answer (Accepted or
 * Rejected, or why nothing was sent) is shown beside the button. The transaction itself
 * ends with the charge point's StopTransaction, which `onAnswered` lets the page reload for.
 */
export function stopButton(t, onAnswered) {
  const answer = h("span", { class: "stop-answer", "aria-live": "polite", "data-testid": `stop-answer-${t.transactionId}` });
  const button = h("button", { type: "button", class: "button danger small", "aria-label": `Stop transaction #${t.transactionId}` }, "Stop");
  button.addEventListener("click", async () => {
    if (!window.confirm(`Stop transaction #${t.transactionId} on ${t.chargePointId} (RemoteStopTransaction)?`)) return;
    button.disabled = true;
    fill(answer, "Sending…");
    try {
      const result = await request("POST", `/charge-points/${seg(t.chargePointId)}/commands/RemoteStopTransaction`, { body: { transactionId: t.transactionId } });
      const status = result.data?.status;
      fill(answer, badge(status), status === "Accepted" ? " the charge point stops it" : " the charge point refused");
      toast(`RemoteStopTransaction #${t.transactionId}: ${status}`, status === "Accepted" ? "ok" : "error");
      onAnswered?.();
    } catch (error) {
      fill(answer, badge("Failed", error.status ? String(error.status) : "No answer"), " ", error.message);
      toast(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "row-actions" }, button, answer);
}

/** `stoppable`: a Stop button on the running ones (its answer stays beside it). */
export function transactionColumns({ withChargePoint = true, stoppable = false } = {}) {
  return [
    { label: "Transaction", cell: (t) => transactionLink(t.transactionId) },
    withChargePoint ? { label: "Charge point", cell: (t) => chargePointLink(t.chargePointId) } : null,
    { label: "Connector", cell: (t) => String(t.connectorId), numeric: true },
    { label: "Id tag", cell: (t) => h("span", {}, text(t.idTag), t.authorizationStatus && t.authorizationStatus !== "Accepted" ? [" ", badge(t.authorizationStatus)] : null) },
    { label: "State", cell: stateBadge },
    { label: "Started", cell: (t) => time(t.startTimestamp) },
    { label: "Stopped", cell: (t) => time(t.stopTimestamp) },
    { label: "Energy", cell: (t) => energy(t.energyWh), numeric: true },
    { label: "Stop reason", cell: (t) => text(t.stopReason) },
    stoppable ? { label: "Actions", cell: (t) => (t.active ? stopButton(t) : "") } : null,
  ].filter(Boolean);
}

export function transactionsPage(page) {
  filteredListPage(page, {
    title: "Transactions",
    subtitle: "Newest first.",
    route: "/transactions",
    path: "/transactions",
    stateLabels: ["Active", "Finished"],
    columns: transactionColumns(),
    refreshMs: REFRESH_MS,
    events: ["transactionStarted", "transactionStopped"],
  });
}

function meterRows(transaction) {
  const rows = [];
  for (const value of transaction.meterValues || []) {
    for (const sample of value.sampledValue || []) rows.push({ timestamp: value.timestamp, source: value.source, ...sample });
  }
  return rows;
}

function meterTable(transaction) {
  return dataTable({
    caption: "Meter values",
    rows: meterRows(transaction),
    empty: "No meter values received for this transaction.",
    columns: [
      { label: "Time", cell: (r) => h("time", { datetime: r.timestamp }, new Date(r.timestamp).toLocaleString()) },
      { label: "Measurand", cell: (r) => r.measurand || "Energy.Active.Import.Register" },
      { label: "Phase", cell: (r) => text(r.phase) },
      { label: "Value", cell: (r) => (r.format === "SignedData" ? h("span", { class: "wrap" }, r.value) : text(r.value)), numeric: true },
      { label: "Unit", cell: (r) => r.unit || (r.measurand && r.measurand !== "Energy.Active.Import.Register" ? "—" : "Wh") },
      { label: "Context", cell: (r) => text(r.context || "Sample.Periodic") },
      { label: "Location", cell: (r) => text(r.location) },
      { label: "From", cell: (r) => text(r.source) },
    ],
  });
}

/** A running transaction's energy by its latest register reading. */
function soFar(transaction) {
  const points = energyPoints(transaction);
  if (points.length < 2) return "still running";
  return `${energy(points[points.length - 1].wh)} so far`;
}

export function transactionPage(page) {
  const id = page.params.id;
  const summary = h("div", {});
  const chart = h("div", {});
  const meter = h("div", {});
  const stateSlot = h("span", {});
  const stopSlot = h("span", {});
  let active = true;

  const load = async () => {
    let t;
    try {
      t = await api.get(`/transactions/${seg(id)}`);
    } catch (error) {
      fill(summary, notice("error", error.status === 404 || error.status === 422 ? `No transaction ${id}.` : error.message));
      return;
    }
    // The Stop button stays while its answer shows; it goes once the transaction has ended.
    if (t.active && !stopSlot.childElementCount) fill(stopSlot, stopButton(t, load));
    if (!t.active) fill(stopSlot);
    active = t.active;
    fill(stateSlot, stateBadge(t));
    fill(
      summary,
      details([
        ["Charge point", chargePointLink(t.chargePointId)],
        ["Connector", String(t.connectorId)],
        ["Id tag", h("span", {}, text(t.idTag), t.authorizationStatus ? [" ", badge(t.authorizationStatus)] : null)],
        ["Started", h("span", {}, new Date(t.startTimestamp).toLocaleString(), " (", time(t.startTimestamp), ")")],
        ["Meter start", energy(t.meterStart)],
        ["Stopped", t.stopTimestamp ? h("span", {}, new Date(t.stopTimestamp).toLocaleString(), " (", time(t.stopTimestamp), ")") : "still running"],
        ["Meter stop", energy(t.meterStop)],
        ["Energy delivered", t.active ? soFar(t) : energy(t.energyWh)],
        ["Stop reason", text(t.stopReason)],
        ["Stopped by", text(t.stopIdTag)],
        ["Reservation", text(t.reservationId)],
        ["Remote start", text(t.remoteStartId)],
      ]),
    );
    fill(chart, energyChart(t));
    fill(meter, meterTable(t));
  };

  fill(
    page.root,
    pageHeader(`Transaction #${id}`, { back: ["#/transactions", "Transactions"], actions: [stateSlot, stopSlot] }),
    h("div", { class: "grid two" }, panel("Summary", {}, summary), panel("Energy", {}, chart)),
    panel("Meter values", {}, meter),
  );
  fill(summary, loading("Loading transaction"));
  load();
  page.poll(
    async () => {
      if (active) await load();
    },
    REFRESH_MS,
    { types: ["meterValues", "transactionStopped"] },
  );
}
