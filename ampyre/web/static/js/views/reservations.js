// Reservations as the charge points' answers made them.

import { seg } from "../api.js";
import { badge, time } from "../components.js";
import { h } from "../dom.js";
import { text } from "../format.js";
import { filteredListPage } from "../lists.js";

export function reservationColumns({ withChargePoint = true } = {}) {
  return [
    { label: "Reservation", cell: (r) => h("span", { class: "strong" }, `#${r.reservationId}`) },
    withChargePoint ? { label: "Charge point", cell: (r) => h("a", { href: `#/charge-points/${seg(r.chargePointId)}` }, r.chargePointId) } : null,
    { label: "Connector", cell: (r) => (r.connectorId === 0 ? "any" : String(r.connectorId)), numeric: true },
    { label: "Id tag", cell: (r) => h("span", {}, text(r.idTag), r.parentIdTag ? h("small", { class: "muted" }, ` (group ${r.parentIdTag})`) : null) },
    { label: "Status", cell: (r) => h("span", {}, badge(r.status), r.reason ? h("small", { class: "muted" }, ` ${r.reason}`) : null) },
    { label: "Expires", cell: (r) => time(r.expiryDate) },
    { label: "Transaction", cell: (r) => (r.transactionId ? h("a", { href: `#/transactions/${seg(r.transactionId)}` }, `#${r.transactionId}`) : "—") },
    { label: "Created", cell: (r) => time(r.createdAt) },
  ].filter(Boolean);
}

export function reservationsPage(page) {
  filteredListPage(page, {
    title: "Reservations",
    subtitle: "Newest first. Make one with the ReserveNow command on a charge point's page, or POST /api/v1/reservations.",
    route: "/reservations",
    path: "/reservations",
    stateLabels: ["Reserved", "Ended"],
    columns: reservationColumns(),
    refreshMs: 10000,
    // Reserved and cancelled by commands, used by a transaction start.
    events: ["commandAnswered", "transactionStarted"],
  });
}
