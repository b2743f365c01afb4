// How values read on screen: times, energy, and which colour a status gets.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function localTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTime.format(date);
}

const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [30, "day"],
  [12, "month"],
  [Infinity, "year"],
];

export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return String(iso);
  let amount = (time - now) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return localTime(iso);
}

export function energy(wh) {
  if (wh === null || wh === undefined || wh === "") return "—";
  const value = Number(wh);
  if (!Number.isFinite(value)) return String(wh);
  return Math.abs(value) >= 1000 ? `${(value / 1000).toFixed(2)} kWh` : `${value} Wh`;
}

export function text(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

// Status word -> tone (a CSS class). The word is always shown as text too, so colour is
// never the only carrier of meaning.
const TONES = {
  ok: ["Accepted", "Available", "Unlocked", "Used", "Installed", "Uploaded", "Downloaded", "Connected"],
  busy: ["Charging", "Preparing", "Finishing", "SuspendedEV", "SuspendedEVSE", "Scheduled", "Installing", "Downloading", "Uploading", "Active"],
  info: ["Reserved", "Pending", "Idle"],
  warn: ["Expired", "RebootRequired", "UnlockFailed", "NotSupported", "NotImplemented", "Timeout", "TimedOut"],
  bad: ["Faulted", "Rejected", "Blocked", "Invalid", "Failed", "UploadFailed", "DownloadFailed", "InstallationFailed", "ConcurrentTx", "VersionMismatch", "CallError"],
  muted: ["Unavailable", "Cancelled", "Unknown", "Finished", "Disconnected"],
};

const TONE_OF = new Map(Object.entries(TONES).flatMap(([tone, words]) => words.map((w) => [w, tone])));

export function tone(status) {
  return TONE_OF.get(status) || "neutral";
}
