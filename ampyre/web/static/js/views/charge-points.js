// The charge point list (auto-refreshing) and the registration form.

import { api, seg } from "../api.js";
import { badge, connectedBadge, dataTable, field, notice, pageHeader, pager, panel, select, submitting, time, toast } from "../components.js";
import { h, fill } from "../dom.js";
import { text } from "../format.js";
import { PAGE_SIZE } from "../lists.js";
import { navigate } from "../router.js";

const REFRESH_MS = 5000;

/** What changes the fleet table: connections, boots, statuses, firmware. */
const FLEET_EVENTS = ["connected", "disconnected", "boot", "status", "firmwareStatus"];

/** One badge per connector: "1 Charging"; connector 0 is the charge point itself. */
export function connectorBadges(connectors) {
  const sorted = [...(connectors || [])].sort((a, b) => a.connectorId - b.connectorId);
  if (!sorted.length) return h("span", { class: "muted" }, "none reported");
  return h(
    "ul",
    { class: "badges", "aria-label": "Connector statuses" },
    sorted.map((c) =>
      h(
        "li",
        {},
        badge(c.status, `${c.connectorId === 0 ? "CP" : `#${c.connectorId}`} ${c.status || "?"}`),
      ),
    ),
  );
}

export function chargePointLink(id) {
  return h("a", { href: `#/charge-points/${seg(id)}`, class: "strong" }, id);
}

export function chargePointsPage(page) {
  let offset = Number(page.query.get("offset") || 0);
  const summary = h("p", { class: "muted", "aria-live": "polite" });
  const body = h("div", {});
  // Search, filters and sorting run on the server, over the whole fleet (not this page).
  const filterInput = h("input", { type: "search", name: "filter", placeholder: "Search id, vendor, model, firmware…", value: page.query.get("q") || "" });
  const connection = select("connected", [["", "Any"], ["true", "Connected"], ["false", "Offline"]], "");
  const registration = select("registrationStatus", [["", "Any"], "Accepted", "Pending", "Rejected"], "");
  const order = select("sort", [["id", "Id"], ["-lastSeen", "Last seen, newest first"], ["chargePointVendor,chargePointModel", "Vendor and model"], ["firmwareVersion", "Firmware"], ["-createdAt", "Newest registered"]], "id");
  let lastItems = null;
  let lastTotal = 0;
  let searched = false;

  const show = (filtering = false) => {
    const online = lastItems.filter((cp) => cp.connected).length;
    fill(summary, `${lastTotal} ${searched ? "match" : "registered"} · ${online} connected on this page · refreshed ${new Date().toLocaleTimeString()}`);
    // Not while the operator is in the table: a rebuild would take their keyboard focus.
    if (body.contains(document.activeElement) && !filtering) return;
    fill(
      body,
      dataTable({
        caption: "Charge points",
        rows: lastItems,
        empty: searched ? "No charge point matches." : "No charge points yet. Register one to let it connect.",
        columns: [
          { label: "Id", cell: (cp) => chargePointLink(cp.id) },
          { label: "Connection", cell: (cp) => connectedBadge(cp.connected) },
          { label: "Registration", cell: (cp) => badge(cp.registrationStatus) },
          { label: "Last boot", cell: (cp) => (cp.bootStatus ? badge(cp.bootStatus) : h("span", { class: "muted nowrap" }, "never booted")) },
          { label: "Vendor / model", cell: (cp) => vendorModel(cp) },
          { label: "Firmware", cell: (cp) => text(cp.firmwareVersion) },
          { label: "Last seen", cell: (cp) => time(cp.lastSeen) },
          { label: "Connectors", cell: (cp) => connectorBadges(cp.connectors) },
        ],
      }),
      pager({ total: lastTotal, limit: PAGE_SIZE, offset, go: (next) => { offset = next; refresh(); } }),
    );
  };

  const refresh = async (filtering = false) => {
    const query = {
      limit: PAGE_SIZE,
      offset,
      q: filterInput.value.trim(),
      connected: connection.value,
      registrationStatus: registration.value,
      sort: order.value,
    };
    try {
      const data = await api.get("/charge-points", query);
      searched = Boolean(query.q || query.connected || query.registrationStatus);
      lastItems = data.items;
      lastTotal = data.total;
      show(filtering);
    } catch (error) {
      fill(body, notice("error", error.message));
    }
  };

  let typing = null;
  const search = () => {
    offset = 0;
    refresh(true);
  };
  filterInput.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(search, 250);
  });
  for (const control of [connection, registration, order]) control.addEventListener("change", search);

  fill(
    page.root,
    pageHeader("Charge points", {
      actions: h("a", { class: "button", href: "#/register-charge-point" }, "Register charge point"),
    }),
    panel(
      "Fleet",
      {
        actions: h(
          "div",
          { class: "list-filters" },
          field("Search", filterInput),
          field("Connection", connection),
          field("Registration", registration),
          field("Sort by", order),
        ),
      },
      summary,
      body,
    ),
  );
  fill(body, h("p", { class: "loading" }, "Loading…"));
  refresh();
  page.poll(refresh, REFRESH_MS, { types: FLEET_EVENTS });
}

function vendorModel(cp) {
  if (!cp.chargePointVendor && !cp.chargePointModel) return h("span", { class: "muted" }, "—");
  return h("span", {}, text(cp.chargePointVendor), h("br"), h("small", { class: "muted" }, text(cp.chargePointModel)));
}

export function registerChargePointPage(page) {
  const id = h("input", { name: "id", required: true, maxlength: "255", autocomplete: "off", spellcheck: "false" });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", maxlength: "255" });
  const profile = select("securityProfile", [["", "Default (0 without password, 1 with)"], ["0", "0 — no authentication"], ["1", "1 — HTTP Basic"], ["2", "2 — TLS + HTTP Basic"], ["3", "3 — TLS client certificate"]], "");
  const registration = select("registrationStatus", ["Accepted", "Pending", "Rejected"], "Accepted");
  const lenient = h("input", { name: "lenient", type: "checkbox", id: "lenient-check" });
  const status = h("div", { "aria-live": "polite" });
  const submit = h("button", { class: "button", type: "submit" }, "Register");

  const form = h(
    "form",
    {
      class: "form-grid",
      onsubmit: async (event) => {
        event.preventDefault();
        const body = { id: id.value.trim(), registrationStatus: registration.value, lenient: lenient.checked };
        if (password.value) body.password = password.value;
        if (profile.value !== "") body.securityProfile = Number(profile.value);
        await submitting(submit, status, async () => {
          await api.post("/charge-points", body);
          toast(`Charge point ${body.id} registered`);
          navigate(`/charge-points/${seg(body.id)}`);
        });
      },
    },
    field("Charge point identity", id, "The last segment of the charge point's OCPP URL: ws://HOST:PORT/ocpp/IDENTITY"),
    field("Password", password, "Optional: HTTP Basic password the charge point sends (security profiles 1 and 2)"),
    field("Security profile", profile),
    field("Answer its next BootNotification with", registration),
    h("div", { class: "field checkbox" }, lenient, h("label", { for: lenient.id }, "Lenient: accept and record known schema deviations")),
    status,
    h("div", { class: "form-actions" }, submit, h("a", { class: "button secondary", href: "#/charge-points" }, "Cancel")),
  );

  fill(
    page.root,
    pageHeader("Register charge point", { back: ["#/charge-points", "Charge points"] }),
    panel("New charge point", {}, form),
  );
}
