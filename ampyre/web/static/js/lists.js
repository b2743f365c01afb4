// Paged lists from the API, and the list pages filtered by state and charge point.

import { api } from "./api.js";
import { dataTable, field, loadInto, pageHeader, pager, panel, select } from "./components.js";
import { h, fill } from "./dom.js";
import { navigate } from "./router.js";

export const PAGE_SIZE = 50;

/**
 * Load `path` into `container` a page at a time; `render(data)` builds the content. A
 * `{items, total}` answer gets a pager. Returns the loader, to reload the current page.
 */
export function pagedList(container, path, render, query = () => ({})) {
  let offset = 0;
  const load = () =>
    loadInto(container, async () => {
      const data = await api.get(path, { ...query(), limit: PAGE_SIZE, offset });
      const content = render(data);
      if (!data || !Array.isArray(data.items)) return content;
      return [content, pager({ total: data.total, limit: PAGE_SIZE, offset, go: (next) => { offset = next; load(); } })];
    });
  return load;
}

/** The filter bar of a list page: state (active or ended) and charge point, kept in the URL. */
function listFilters(page, route, stateLabels) {
  const state = select("active", [["", "All"], ["true", stateLabels[0]], ["false", stateLabels[1]]], page.query.get("active") || "");
  const chargePoint = h("input", { type: "search", name: "chargePointId", value: page.query.get("chargePointId") || "", placeholder: "Any", spellcheck: "false" });
  const apply = () => navigate(route, { active: state.value, chargePointId: chargePoint.value.trim() });
  state.addEventListener("change", apply);
  chargePoint.addEventListener("change", apply);
  return h(
    "form",
    { class: "filters", role: "search", onsubmit: (event) => { event.preventDefault(); apply(); } },
    field("State", state),
    field("Charge point", chargePoint),
    h("button", { class: "button secondary small", type: "submit" }, "Apply"),
  );
}

/** A list page (transactions, reservations): filters, a paged table, refreshed when one of
 * `events` comes (and now and then besides). */
export function filteredListPage(page, { title, subtitle, route, path, stateLabels, columns, refreshMs, events }) {
  const body = h("div", {});
  const load = pagedList(
    body,
    path,
    (data) => dataTable({ caption: title, rows: data.items, empty: `No ${title.toLowerCase()} match.`, columns }),
    () => ({ active: page.query.get("active") || undefined, chargePointId: page.query.get("chargePointId") || undefined }),
  );
  fill(page.root, pageHeader(title, { subtitle }), panel(`All ${title.toLowerCase()}`, { actions: listFilters(page, route, stateLabels) }, body));
  load();
  // Not while the operator is in the table: a rebuild would take their keyboard focus.
  page.poll(() => (body.contains(document.activeElement) ? undefined : load()), refreshMs, { types: events });
}
