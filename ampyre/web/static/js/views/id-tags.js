// Id tags: the store the CSMS authorizes against. Add, block/unblock, delete.

import { api, seg } from "../api.js";
import { badge, dataTable, field, pageHeader, panel, select, submitting, time, toast } from "../components.js";
import { h, fill } from "../dom.js";
import { text } from "../format.js";
import { pagedList } from "../lists.js";

/** "2025-01-31T12:00" from a datetime-local input, read in the browser's zone, as UTC ISO. */
function isoFromLocal(value) {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function idTagsPage(page) {
  const body = h("div", {});

  const act = async (work, done) => {
    try {
      await work();
      toast(done);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  };

  const actions = (tag) => {
    const blocked = tag.status === "Blocked";
    return h(
      "div",
      { class: "row-actions" },
      h(
        "button",
        {
          type: "button",
          class: "button secondary small",
          "aria-label": `${blocked ? "Unblock" : "Block"} ${tag.idTag}`,
          onclick: () => act(() => api.patch(`/id-tags/${seg(tag.idTag)}`, { status: blocked ? "Accepted" : "Blocked" }), `${tag.idTag} ${blocked ? "unblocked" : "blocked"}`),
        },
        blocked ? "Unblock" : "Block",
      ),
      h(
        "button",
        {
          type: "button",
          class: "button danger small",
          "aria-label": `Delete ${tag.idTag}`,
          onclick: () => {
            if (window.confirm(`Delete id tag ${tag.idTag}?`)) act(() => api.delete(`/id-tags/${seg(tag.idTag)}`), `${tag.idTag} deleted`);
          },
        },
        "Delete",
      ),
    );
  };

  const load = pagedList(body, "/id-tags", (data) =>
    dataTable({
      caption: "Id tags",
      rows: data.items,
      empty: "No id tags yet. Add one above.",
      columns: [
        { label: "Id tag", cell: (t) => h("code", {}, t.idTag) },
        { label: "Status", cell: (t) => badge(t.status) },
        { label: "Expires", cell: (t) => (t.expiryDate ? time(t.expiryDate) : "never") },
        { label: "Group (parent)", cell: (t) => text(t.parentIdTag) },
        { label: "Concurrent", cell: (t) => text(t.allowConcurrentTx) },
        { label: "Updated", cell: (t) => time(t.updatedAt) },
        { label: "Actions", cell: actions },
      ],
    }),
  );

  const idTag = h("input", { name: "idTag", required: true, maxlength: "20", autocomplete: "off", spellcheck: "false" });
  const status = select("status", ["Accepted", "Blocked", "Expired", "Invalid"], "Accepted");
  const expiry = h("input", { name: "expiryDate", type: "datetime-local" });
  const parent = h("input", { name: "parentIdTag", maxlength: "20", autocomplete: "off", spellcheck: "false" });
  const concurrent = h("input", { name: "allowConcurrentTx", type: "checkbox", id: "allow-concurrent" });
  const formStatus = h("div", { "aria-live": "polite" });
  const submit = h("button", { class: "button", type: "submit" }, "Add id tag");
  const form = h(
    "form",
    {
      class: "form-grid inline",
      onsubmit: async (event) => {
        event.preventDefault();
        const tag = { idTag: idTag.value.trim(), status: status.value, allowConcurrentTx: concurrent.checked };
        const expiryDate = isoFromLocal(expiry.value);
        if (expiryDate) tag.expiryDate = expiryDate;
        if (parent.value.trim()) tag.parentIdTag = parent.value.trim();
        await submitting(submit, formStatus, async () => {
          await api.post("/id-tags", tag);
          toast(`Id tag ${tag.idTag} added`);
          form.reset();
          load();
          idTag.focus();
        });
      },
    },
    field("Id tag", idTag, "Up to 20 characters, matched case-insensitively"),
    field("Status", status),
    field("Expires (your local time)", expiry),
    field("Parent id tag (group)", parent),
    h("div", { class: "field checkbox" }, concurrent, h("label", { for: concurrent.id }, "Allow concurrent transactions")),
    h("div", { class: "form-actions" }, submit),
    formStatus,
  );

  fill(page.root, pageHeader("Id tags"), panel("Add an id tag", {}, form), panel("Id tags", {}, body));
  load();
}
