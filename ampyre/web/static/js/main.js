// Start-up: the login screen until a token is accepted, then the routed pages.

import { request, session } from "./api.js";
import { field, notice, submitting } from "./components.js";
import { h, fill } from "./dom.js";
import { render, route, stop } from "./router.js";
import { chargePointsPage, registerChargePointPage } from "./views/charge-points.js";
import { chargePointPage } from "./views/charge-point.js";
import { idTagsPage } from "./views/id-tags.js";
import { transactionsPage, transactionPage } from "./views/transactions.js";
import { reservationsPage } from "./views/reservations.js";
import { recordsIndexPage, recordsPage } from "./views/records.js";

route("/charge-points", chargePointsPage, "charge-points");
route("/register-charge-point", registerChargePointPage, "charge-points");
route("/charge-points/:id", chargePointPage, "charge-points");
route("/id-tags", idTagsPage, "id-tags");
route("/transactions", transactionsPage, "transactions");
route("/transactions/:id", transactionPage, "transactions");
route("/reservations", reservationsPage, "reservations");
route("/records", recordsIndexPage, "records");
route("/records/:name", recordsPage, "records");

const nav = document.getElementById("nav");
const logoutButton = document.getElementById("logout");

function showChrome(signedIn) {
  nav.hidden = !signedIn;
  logoutButton.hidden = !signedIn;
}

function showLogin(message) {
  stop();
  showChrome(false);
  document.title = "Sign in · Ampyre";
  const input = h("input", {
    type: "password",
    name: "token",
    autocomplete: "current-password",
    required: true,
    spellcheck: "false",
  });
  const status = h("div", { class: "login-status", "aria-live": "polite" }, message ? notice("error", message) : null);
  const submit = h("button", { class: "button", type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "login-card panel",
      "aria-labelledby": "login-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        const refused = (error) => {
          input.select();
          return error.status === 401 ? "That token was refused." : error.message;
        };
        await submitting(
          submit,
          status,
          async () => {
            // Any protected endpoint checks the token; the cheapest is a one-item list.
            await request("GET", "/charge-points", { query: { limit: 1 }, token });
            session.save(token);
            start();
          },
          refused,
        );
      },
    },
    h("h1", { id: "login-title", tabindex: "-1" }, "Ampyre console"),
    h("p", { class: "muted" }, "Sign in with the operator API token (", h("code", {}, "ampyre serve --api-token"), ", or the one printed on first start). It is kept for this browser tab only."),
    // For password managers: the token is a password of the one operator account.
    h("input", { type: "text", name: "username", autocomplete: "username", value: "operator", hidden: true }),
    field("API token", input),
    status,
    submit,
  );
  fill(document.getElementById("main"), h("div", { class: "login" }, form));
  input.focus();
}

function start() {
  showChrome(true);
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    history.replaceState(null, "", "#/charge-points");
  }
  render();
}

// The skip link targets <main> by id; followed as a link it would change the route.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});

logoutButton.addEventListener("click", () => {
  session.clear();
  showLogin();
});

window.addEventListener("hashchange", () => {
  if (session.token()) render();
});

window.addEventListener("ampyre:unauthorized", () => {
  if (!session.token()) return;
  session.clear();
  showLogin("The server refused the token (it may have changed). Sign in again.");
});

if (session.token()) start();
else showLogin();
