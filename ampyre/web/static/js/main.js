// Start-up: the login screen until a sign-in (account and password, or an API token) is
// accepted, then the routed pages.

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
import { dashboardPage } from "./views/dashboard.js";
import { rolloutsPage, rolloutPage } from "./views/rollouts.js";

route("/dashboard", dashboardPage, "dashboard");
route("/charge-points", chargePointsPage, "charge-points");
route("/register-charge-point", registerChargePointPage, "charge-points");
route("/charge-points/:id", chargePointPage, "charge-points");
route("/id-tags", idTagsPage, "id-tags");
route("/transactions", transactionsPage, "transactions");
route("/transactions/:id", transactionPage, "transactions");
route("/reservations", reservationsPage, "reservations");
route("/records", recordsIndexPage, "records");
route("/records/:name", recordsPage, "records");
route("/firmware-rollouts", rolloutsPage, "firmware-rollouts");
route("/firmware-rollouts/:id", rolloutPage, "firmware-rollouts");

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
  const status = h("div", { class: "login-status", "aria-live": "polite" }, message ? notice("error", message) : null);

  // An account's name and password: the server sets an HttpOnly session cookie.
  const name = h("input", { type: "text", name: "username", autocomplete: "username", required: true, spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const signIn = h("button", { class: "button", type: "submit" }, "Sign in");
  const passwordForm = h(
    "form",
    {
      class: "login-form",
      onsubmit: async (event) => {
        event.preventDefault();
        await submitting(
          signIn,
          status,
          async () => {
            await request("POST", "/session", { body: { name: name.value.trim(), password: password.value }, token: "" });
            session.clear();
            start();
          },
          (error) => {
            password.select();
            return error.message;
          },
        );
      },
    },
    field("Account", name),
    field("Password", password),
    signIn,
  );

  // Or an API token (`ampyre serve --api-token`, or one printed or made with `ampyre token`).
  const input = h("input", { type: "password", name: "token", autocomplete: "off", required: true, spellcheck: "false" });
  const useToken = h("button", { class: "button secondary", type: "submit" }, "Use token");
  const tokenForm = h(
    "form",
    {
      class: "login-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        await submitting(
          useToken,
          status,
          async () => {
            // Any protected endpoint checks the token; the cheapest is a one-item list.
            await request("GET", "/charge-points", { query: { limit: 1 }, token });
            session.save(token);
            start();
          },
          (error) => {
            input.select();
            return error.status === 401 ? "That token was refused." : error.message;
          },
        );
      },
    },
    h("p", { class: "muted" }, "Or with an operator API token (", h("code", {}, "ampyre serve --api-token"), ", or the one printed on first start), kept for this browser tab only."),
    field("API token", input),
    useToken,
  );

  const card = h(
    "div",
    { class: "login-card panel", role: "region", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title", tabindex: "-1" }, "Ampyre console"),
    passwordForm,
    tokenForm,
    status,
  );
  fill(document.getElementById("main"), h("div", { class: "login" }, card));
  name.focus();
}

function start() {
  signedIn = true;
  showChrome(true);
  if (!location.hash || location.hash === "#" || location.hash === "#/") {
    history.replaceState(null, "", "#/dashboard");
  }
  render();
}

// The skip link targets <main> by id; followed as a link it would change the route.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});

logoutButton.addEventListener("click", async () => {
  if (!session.token()) {
    // A password sign-in: end it on the server, which also clears the cookie.
    try {
      await request("DELETE", "/session", { token: "" });
    } catch {
      // Already ended or unreachable: the login screen follows either way.
    }
  }
  session.clear();
  showLogin();
});

let signedIn = false;

window.addEventListener("hashchange", () => {
  if (signedIn) render();
});

window.addEventListener("ampyre:unauthorized", () => {
  if (!signedIn) return;
  signedIn = false;
  const hadToken = Boolean(session.token());
  session.clear();
  showLogin(hadToken ? "The server refused the token (it may have changed). Sign in again." : "Your session has ended. Sign in again.");
});

// A token kept for this tab, or a session cookie from an earlier sign-in: either may do.
if (session.token()) start();
else {
  request("GET", "/session", { token: "" }).then(start, () => showLogin());
}
