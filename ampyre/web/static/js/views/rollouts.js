// Firmware rollouts: the list, and one rollout's progress (counts per status and a progress
// bar), refreshed every few seconds while the rollout runs.

import { api, seg } from "../api.js";
import { badge, dataTable, details, loadInto, notice, pageHeader, panel, time, toast } from "../components.js";
import { h, fill } from "../dom.js";
import { text } from "../format.js";
import { pagedList } from "../lists.js";

const LIST_REFRESH_MS = 10000;
const PROGRESS_REFRESH_MS = 3000;

const rolloutLink = (id) => h("a", { href: `#/firmware-rollouts/${seg(id)}`, class: "strong" }, `Rollout #${id}`);

/** How many of the rollout's charge points have finished (their attempt has ended). */
function finished(rollout) {
  return rollout.chargePoints.filter((cp) => cp.finishedAt).length;
}

function progressBar(rollout) {
  const total = rollout.chargePoints.length;
  const done = finished(rollout);
  const label = `${done} of ${total} charge points finished`;
  return h(
    "div",
    { class: "progress-line" },
    h("progress", { class: "rollout-progress", max: String(total || 1), value: String(done), "aria-label": `Rollout #${rollout.rolloutId} progress`, title: label }),
    h("span", { class: "nowrap" }, label),
  );
}

function countBadges(counts) {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return h("ul", { class: "badges" }, entries.map(([status, count]) => h("li", {}, badge(status, `${status}: ${count}`))));
}

export function rolloutsPage(page) {
  const body = h("div", {});
  const load = pagedList(body, "/firmware-rollouts", (data) =>
    dataTable({
      caption: "Firmware rollouts",
      rows: data.items,
      empty: "No firmware rollout yet. Start one with POST /api/v1/firmware-rollouts or `ampyre firmware rollout`.",
      columns: [
        { label: "Rollout", cell: (r) => rolloutLink(r.rolloutId) },
        { label: "State", cell: (r) => badge(r.state === "Running" ? "Active" : r.state, r.state) },
        { label: "Progress", cell: (r) => progressBar(r) },
        { label: "Statuses", cell: (r) => countBadges(r.counts) },
        { label: "Firmware", cell: (r) => h("span", { class: "wrap" }, text(r.location)) },
        { label: "Created", cell: (r) => time(r.createdAt) },
      ],
    }),
  );
  fill(page.root, pageHeader("Firmware rollouts", { subtitle: "One firmware image sent to many charge points, a bounded number at a time. Newest first." }), panel("All rollouts", {}, body));
  load();
  page.poll(() => (body.contains(document.activeElement) ? undefined : load()), LIST_REFRESH_MS);
}

function stats(counts) {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return h("p", { class: "empty" }, "No charge point in this rollout.");
  return h(
    "dl",
    { class: "stats", "aria-label": "Charge points per status" },
    entries.map(([status, count]) => h("div", { class: "stat" }, h("dt", {}, status), h("dd", { "data-testid": `count-${status}` }, String(count)))),
  );
}

export function rolloutPage(page) {
  const id = page.params.id;
  const stateSlot = h("span", {});
  const summary = h("div", {});
  const progress = h("div", {});
  const members = h("div", {});
  let running = true;

  const cancel = async () => {
    if (!window.confirm(`Cancel rollout #${id}? Charge points already sent to go on; no more are sent to.`)) return;
    try {
      await api.post(`/firmware-rollouts/${seg(id)}/cancel`);
      toast(`Rollout #${id} cancelled`);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  const cancelButton = h("button", { type: "button", class: "button danger small", onclick: cancel }, "Cancel rollout");

  const load = () =>
    loadInto(summary, async () => {
      let rollout;
      try {
        rollout = await api.get(`/firmware-rollouts/${seg(id)}`);
      } catch (error) {
        running = false;
        fill(progress);
        fill(members);
        return notice("error", error.status === 404 || error.status === 422 ? `No rollout ${id}.` : error.message);
      }
      running = rollout.state === "Running";
      cancelButton.hidden = !running || Boolean(rollout.cancelledAt);
      fill(stateSlot, badge(running ? "Active" : rollout.state, rollout.state));
      fill(progress, progressBar(rollout), stats(rollout.counts));
      if (!members.contains(document.activeElement)) {
        fill(
          members,
          dataTable({
            caption: "Charge points of the rollout",
            rows: rollout.chargePoints,
            columns: [
              { label: "Charge point", cell: (cp) => h("a", { href: `#/charge-points/${seg(cp.chargePointId)}` }, cp.chargePointId) },
              { label: "Status", cell: (cp) => badge(cp.status) },
              { label: "Error", cell: (cp) => text(cp.error) },
              { label: "Updated", cell: (cp) => time(cp.updatedAt) },
              { label: "Finished", cell: (cp) => time(cp.finishedAt) },
            ],
          }),
        );
      }
      return details([
        ["Firmware", h("span", { class: "wrap" }, text(rollout.location))],
        ["Retrieve date", time(rollout.retrieveDate)],
        ["Retries", text(rollout.retries)],
        ["Retry interval", rollout.retryInterval ? `${rollout.retryInterval} s` : "—"],
        ["In flight at once", text(rollout.concurrency)],
        ["Created", time(rollout.createdAt)],
        ["Cancelled", time(rollout.cancelledAt)],
      ]);
    });

  fill(
    page.root,
    pageHeader(`Rollout #${id}`, { back: ["#/firmware-rollouts", "Firmware rollouts"], actions: [stateSlot, cancelButton] }),
    panel("Progress", { id: "rollout-progress" }, progress),
    h("div", { class: "grid two" }, panel("Rollout", {}, summary), panel("Charge points", {}, members)),
  );
  load();
  page.poll(async () => {
    if (running) await load();
  }, PROGRESS_REFRESH_MS);
}
