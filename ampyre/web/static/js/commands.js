// The "send command" form: any CSMS-initiated OCPP 1.6 (and security extension) message,
// with a starting body per action, sent through POST /charge-points/{id}/commands/{Action}.
// The body is edited in fields generated from the action's official schema or as raw JSON;
// the two stay in step, and what is sent is the JSON.

import { ApiError, api, request, seg } from "./api.js";
import { badge, field, jsonView, notice } from "./components.js";
import { h, fill } from "./dom.js";
import { showSchemaForm } from "./schema-form.js";

let schemas = null;

/** The request schemas of every command, fetched once per page load. */
function commandSchemas() {
  schemas ??= api.get("/commands/schemas").catch((error) => {
    schemas = null;
    throw error;
  });
  return schemas;
}

const inOneHour = () => new Date(Date.now() + 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const firstConnector = (context) => context.connectorIds.find((id) => id > 0) ?? 1;
const PEM = "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----";

/**
 * Every action the CSMS may send (OCPP 1.6 section 5, security whitepaper section 5), with
 * a body that is valid against its schema to start editing from. `context` has the charge
 * point's connector ids and its running transaction, when there is one.
 */
export const ACTIONS = [
  { name: "ChangeAvailability", group: "Core", template: () => ({ connectorId: 0, type: "Inoperative" }), note: "connectorId 0: the whole charge point. type: Operative or Inoperative." },
  { name: "ChangeConfiguration", group: "Core", template: () => ({ key: "HeartbeatInterval", value: "300" }), note: "The value is always a string." },
  { name: "ClearCache", group: "Core", template: () => ({}), note: "Clears the authorization cache." },
  { name: "DataTransfer", group: "Core", template: () => ({ vendorId: "com.example", messageId: "Ping", data: "" }) },
  { name: "GetConfiguration", group: "Core", template: () => ({}), note: "Without key: every key. With key: [\"HeartbeatInterval\", …]. The answer updates the configuration table." },
  { name: "RemoteStartTransaction", group: "Core", template: (c) => ({ connectorId: firstConnector(c), idTag: c.idTag || "TAG1" }) },
  { name: "RemoteStopTransaction", group: "Core", template: (c) => ({ transactionId: c.activeTransactionId ?? 1 }) },
  { name: "Reset", group: "Core", template: () => ({ type: "Soft" }), note: "type: Soft or Hard." },
  { name: "UnlockConnector", group: "Core", template: (c) => ({ connectorId: firstConnector(c) }) },
  { name: "GetDiagnostics", group: "Firmware management", template: () => ({ location: "ftp://diagnostics.example.com/upload/", retries: 1, retryInterval: 60 }), note: "The generic form sends the location as written." },
  { name: "UpdateFirmware", group: "Firmware management", template: () => ({ location: "https://firmware.example.com/image.bin", retrieveDate: nowIso(), retries: 1, retryInterval: 60 }) },
  { name: "GetLocalListVersion", group: "Local auth list", template: () => ({}) },
  { name: "SendLocalList", group: "Local auth list", template: () => ({ listVersion: 1, updateType: "Full", localAuthorizationList: [{ idTag: "TAG1", idTagInfo: { status: "Accepted" } }] }) },
  { name: "ReserveNow", group: "Reservation", template: (c) => ({ connectorId: firstConnector(c), expiryDate: inOneHour(), idTag: c.idTag || "TAG1", reservationId: Math.floor(Math.random() * 1e6) + 1 }), note: "reservationId is yours to choose here; it must not clash with another reservation." },
  { name: "CancelReservation", group: "Reservation", template: () => ({ reservationId: 1 }) },
  {
    name: "SetChargingProfile",
    group: "Smart charging",
    template: (c) => ({
      connectorId: firstConnector(c),
      csChargingProfiles: {
        chargingProfileId: 1,
        stackLevel: 0,
        chargingProfilePurpose: "TxDefaultProfile",
        chargingProfileKind: "Relative",
        chargingSchedule: { chargingRateUnit: "A", chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
      },
    }),
  },
  { name: "ClearChargingProfile", group: "Smart charging", template: () => ({}), note: "Without fields: clears every profile. Narrow it with id, connectorId, chargingProfilePurpose, stackLevel." },
  { name: "GetCompositeSchedule", group: "Smart charging", template: (c) => ({ connectorId: firstConnector(c), duration: 3600, chargingRateUnit: "W" }) },
  { name: "TriggerMessage", group: "Remote trigger", template: () => ({ requestedMessage: "StatusNotification" }), note: "BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat, MeterValues or StatusNotification." },
  { name: "ExtendedTriggerMessage", group: "Security", template: () => ({ requestedMessage: "SignChargePointCertificate" }) },
  { name: "CertificateSigned", group: "Security", template: () => ({ certificateChain: PEM }) },
  { name: "InstallCertificate", group: "Security", template: () => ({ certificateType: "CentralSystemRootCertificate", certificate: PEM }) },
  { name: "GetInstalledCertificateIds", group: "Security", template: () => ({ certificateType: "CentralSystemRootCertificate" }) },
  { name: "DeleteCertificate", group: "Security", template: () => ({ certificateHashData: { hashAlgorithm: "SHA256", issuerNameHash: "0".repeat(64), issuerKeyHash: "0".repeat(64), serialNumber: "01" } }) },
  { name: "GetLog", group: "Security", template: () => ({ logType: "SecurityLog", requestId: 1, log: { remoteLocation: "ftp://logs.example.com/upload/" } }) },
  {
    name: "SignedUpdateFirmware",
    group: "Security",
    template: () => ({ requestId: 1, firmware: { location: "https://firmware.example.com/image.bin", retrieveDateTime: nowIso(), signingCertificate: PEM, signature: "c2lnbmF0dXJl" } }),
  },
];

const BY_NAME = new Map(ACTIONS.map((action) => [action.name, action]));

function actionSelect(value) {
  const groups = new Map();
  for (const action of ACTIONS) {
    if (!groups.has(action.group)) groups.set(action.group, []);
    groups.get(action.group).push(action);
  }
  return h(
    "select",
    { name: "action" },
    [...groups].map(([group, actions]) =>
      h("optgroup", { label: group }, actions.map((a) => h("option", { value: a.name, selected: a.name === value }, a.name))),
    ),
  );
}

function describeAnswer(result) {
  const status = result.data && typeof result.data === "object" ? result.data.status : undefined;
  const remoteStart = result.headers.get("X-Remote-Start-Id");
  return [
    h("p", { class: "result-line" }, badge("Accepted", `${result.status} OK`), " The charge point answered", status ? [": ", badge(status)] : ".", remoteStart ? [" Remote start #", remoteStart, " is being followed."] : null),
    jsonView(result.data, "The charge point's answer"),
  ];
}

const ERROR_MEANING = {
  400: "Bad request",
  404: "Unknown charge point or action",
  409: "Not sent",
  422: "Not sent: the body is not valid for this action",
  502: "The charge point answered with a CALLERROR",
  504: "The charge point did not answer in time",
};

function describeError(error) {
  const body = error.body && typeof error.body === "object" ? error.body : null;
  const parts = [
    h(
      "p",
      { class: "result-line" },
      badge("Failed", error.status ? `${error.status}` : "No answer"),
      " ",
      h("strong", {}, ERROR_MEANING[error.status] || "Failed"),
    ),
    notice("error", error.message),
  ];
  if (error.status === 502 && body) {
    parts.push(
      h(
        "dl",
        { class: "details compact" },
        [["Error code", body.errorCode], ["Description", body.errorDescription]].map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v || "—"))),
      ),
      body.errorDetails && Object.keys(body.errorDetails).length ? jsonView(body.errorDetails, "Error details") : null,
    );
  }
  return parts;
}

/**
 * The form. `getContext()` gives the current connector ids and running transaction (for the
 * templates); `onAnswered(action)` lets the page reload what the answer may have changed.
 */
export function commandForm(chargePointId, { getContext, onAnswered }) {
  const chooser = actionSelect("ClearCache");
  const bodyInput = h("textarea", { name: "body", rows: "10", spellcheck: "false", class: "code", autocomplete: "off" });
  const timeoutInput = h("input", { name: "timeout", type: "number", min: "1", max: "3600", step: "1", placeholder: "server default", inputmode: "numeric" });
  const note = h("p", { class: "hint", id: "command-note" });
  const result = h("div", { class: "command-result", "aria-live": "polite", "data-testid": "command-result" });
  const send = h("button", { class: "button", type: "submit" }, "Send");
  const fields = h("div", { class: "schema-form", "data-testid": "command-fields" });

  // The fields follow the JSON; an edit in the fields rewrites the JSON.
  const showFields = async () => {
    const action = chooser.value;
    let body;
    try {
      body = JSON.parse(bodyInput.value.trim() || "{}");
    } catch {
      return; // Mid-edit: the fields keep their last state until the JSON parses again.
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) return;
    let all;
    try {
      all = await commandSchemas();
    } catch (error) {
      fill(fields, notice("error", `No schema for the fields (${error.message}): edit the JSON below.`));
      return;
    }
    if (chooser.value !== action || !all[action]) return;
    showSchemaForm(fields, all[action], body, (value) => {
      bodyInput.value = JSON.stringify(value, null, 2);
    });
  };

  const useTemplate = () => {
    const action = BY_NAME.get(chooser.value);
    bodyInput.value = JSON.stringify(action.template(getContext()), null, 2);
    fill(note, action.note || "");
    showFields();
  };
  bodyInput.addEventListener("input", showFields);

  chooser.addEventListener("change", () => {
    useTemplate();
    fill(result);
  });

  const form = h(
    "form",
    {
      class: "command-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const action = chooser.value;
        let payload;
        try {
          payload = JSON.parse(bodyInput.value.trim() || "{}");
        } catch (error) {
          fill(result, notice("error", `The body is not valid JSON: ${error.message}`));
          bodyInput.focus();
          return;
        }
        send.disabled = true;
        send.setAttribute("aria-busy", "true");
        fill(result, h("p", { class: "loading" }, `Sending ${action} to ${chargePointId}…`));
        const query = timeoutInput.value ? { timeout: timeoutInput.value } : undefined;
        try {
          const answer = await request("POST", `/charge-points/${seg(chargePointId)}/commands/${seg(action)}`, { body: payload, query });
          fill(result, h("h3", {}, `${action} answer`), describeAnswer(answer));
          onAnswered?.(action);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          fill(result, h("h3", {}, `${action} failed`), describeError(error));
        } finally {
          send.disabled = false;
          send.removeAttribute("aria-busy");
        }
      },
    },
    h(
      "div",
      { class: "command-row" },
      field("Action", chooser),
      field("Timeout (seconds)", timeoutInput),
    ),
    h(
      "details",
      { class: "schema-fields", open: true },
      h("summary", {}, "Fields (from the official OCPP 1.6 schema; * required)"),
      fields,
    ),
    field("Request body (JSON, sent unchanged)", bodyInput),
    note,
    h("div", { class: "form-actions" }, send, h("button", { class: "button secondary", type: "button", onclick: useTemplate }, "Reset body")),
    result,
  );
  bodyInput.setAttribute("aria-describedby", note.id);
  useTemplate();
  return form;
}
