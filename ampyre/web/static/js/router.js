// Hash routing: "#/charge-points/CP-1?tab=x" -> a view function. Hash routes need no server
// fallback, so the console owns "/" and "/static" only and never shadows /api or /ocpp.

import { h, fill } from "./dom.js";
import { openEvents } from "./live.js";

/** While the live stream is open, a page also refreshes this often (what makes no event). */
const LIVE_FALLBACK_MS = 30000;
/** An event's refresh waits this long for the ones that come with it, */
const EVENT_DELAY_MS = 200;
/** and comes at most this often. */
const MIN_GAP_MS = 1000;

const routes = [];
let current = null;

/** Register `render(page)` for a pattern like "/charge-points/:id". */
export function route(pattern, render, section) {
  const names = [];
  const source = pattern.replace(/:[a-zA-Z]+/g, (name) => {
    names.push(name.slice(1));
    return "([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, render, section });
}

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(search) };
}

export function navigate(path, query) {
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v !== null && v !== undefined)).toString() : "";
  location.hash = `#${path}${search ? `?${search}` : ""}`;
}

/**
 * What a view gets: its params and query, a root element, and timers that stop when the
 * operator leaves the page (so a list does not keep polling from the background).
 */
class Page {
  constructor(params, query, root) {
    this.params = params;
    this.query = query;
    this.root = root;
    this.left = false;
    this.cleanups = [];
  }

  onLeave(cleanup) {
    this.cleanups.push(cleanup);
  }

  /**
   * Keep what `task` shows current while the operator is on this page: run it when a live
   * event arrives (GET /api/v1/events, narrowed to `chargePointId` and `types` if given;
   * at most once a second), and every LIVE_FALLBACK_MS besides for what makes no event. While the stream
   * is down, every `ms` as before. Never while the tab is hidden.
   */
  poll(task, ms, { chargePointId, types } = {}) {
    let timer = null;
    let due = 0;
    let live = false;
    let lastRun = 0;
    let running = false;
    let rerun = false;
    const schedule = (delay) => {
      const at = Date.now() + delay;
      if (this.left || (timer !== null && due <= at)) return;
      clearTimeout(timer);
      due = at;
      timer = setTimeout(tick, delay);
    };
    const tick = async () => {
      timer = null;
      if (this.left) return;
      if (running) {
        rerun = true; // once this run ends: never two at a time
        return;
      }
      running = true;
      rerun = false;
      if (!document.hidden) {
        lastRun = Date.now();
        try {
          await task();
        } catch {
          // The task shows its own errors; refreshing goes on.
        }
      }
      running = false;
      schedule(rerun ? EVENT_DELAY_MS : live ? LIVE_FALLBACK_MS : ms);
    };
    const close = openEvents({ chargePointId, types }, {
      onEvent: () => schedule(Math.max(EVENT_DELAY_MS, lastRun + MIN_GAP_MS - Date.now())),
      onState: (open) => {
        live = open;
        if (!open) schedule(ms);
      },
    });
    const shown = () => {
      if (!document.hidden) schedule(EVENT_DELAY_MS);
    };
    document.addEventListener("visibilitychange", shown);
    this.onLeave(() => {
      clearTimeout(timer);
      close();
      document.removeEventListener("visibilitychange", shown);
    });
    schedule(ms);
  }

  leave() {
    this.left = true;
    for (const cleanup of this.cleanups) cleanup();
  }
}

function markSection(section) {
  for (const anchor of document.querySelectorAll("#nav a")) {
    if (anchor.dataset.section === section) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

export async function render() {
  const main = document.getElementById("main");
  const { path, query } = parseHash();
  if (current) current.leave();
  const match = routes.map((r) => ({ r, m: r.regex.exec(path) })).find((x) => x.m);
  const root = h("div", { class: "page" });
  fill(main, root);
  if (!match) {
    markSection(null);
    fill(root, h("h1", { tabindex: "-1" }, "Not found"), h("p", {}, "No page here. ", h("a", { href: "#/charge-points" }, "Go to the charge points.")));
    return;
  }
  const params = Object.fromEntries(match.r.names.map((name, i) => [name, decodeURIComponent(match.m[i + 1])]));
  const page = new Page(params, query, root);
  current = page;
  markSection(match.r.section);
  await match.r.render(page);
  if (!page.left) {
    const heading = root.querySelector("h1");
    document.title = heading ? `${heading.textContent} · Ampyre` : "Ampyre console";
    if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
  }
}

export function stop() {
  if (current) current.leave();
  current = null;
}
