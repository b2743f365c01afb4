// The live event stream (GET /api/v1/events, server-sent events), read with fetch rather
// than EventSource: an EventSource cannot send the Authorization header, and a token put
// in the URL instead would end up in proxies' and servers' access logs. A dropped stream
// is reopened after RETRY_MS with Last-Event-ID, so the server replays what was missed.

import { API_BASE, session } from "./api.js";

const RETRY_MS = 5000;

/**
 * Open the stream (`query`: `chargePointId` and `types` narrow it); `onEvent({id, type, data})`
 * for each event, `onState(open)` when it opens or drops. Returns a function closing it.
 */
export function openEvents(query, { onEvent, onState }) {
  let stopped = false;
  let controller = null;
  let lastId = null;
  let retry = null;
  const search = new URLSearchParams();
  if (query?.chargePointId) search.set("chargePointId", query.chargePointId);
  for (const type of query?.types || []) search.append("type", type);
  const params = search.toString();

  const run = async () => {
    controller = new AbortController();
    const headers = { Accept: "text/event-stream" };
    const token = session.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (lastId !== null) headers["Last-Event-ID"] = lastId;
    try {
      const response = await fetch(`${API_BASE}/events${params ? `?${params}` : ""}`, {
        headers,
        signal: controller.signal,
        cache: "no-store",
      });
      if (response.ok && response.body) {
        onState(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = parseBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (event) {
              if (event.id !== null) lastId = event.id;
              onEvent(event);
            }
          }
        }
      }
    } catch {
      // Closed by us, or the connection dropped: reopened below unless stopped.
    }
    controller = null;
    if (!stopped) {
      onState(false);
      retry = setTimeout(run, RETRY_MS);
    }
  };

  run();
  return () => {
    stopped = true;
    clearTimeout(retry);
    if (controller) controller.abort();
  };
}

/** One server-sent event block -> {id, type, data}; comments (keep-alives) -> null. */
function parseBlock(block) {
  let id = null;
  let type = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "id") id = value;
    else if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  try {
    return { id, type, data: JSON.parse(data.join("\n")) };
  } catch {
    return null;
  }
}
