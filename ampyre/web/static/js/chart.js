// Inline SVG charts: a transaction's delivered energy over time, and a connector's composite
// charging schedule as a step chart of its limit.

import { h, svg } from "./dom.js";
import { localTime } from "./format.js";

const ENERGY = "Energy.Active.Import.Register";
const WIDTH = 720;
const HEIGHT = 260;
const PAD = { left: 64, right: 20, top: 16, bottom: 40 };

/** Wh of one SampledValue if it is the (total, raw) energy register, else null. */
function registerWh(sample) {
  if ((sample.measurand || ENERGY) !== ENERGY) return null;
  if (sample.phase || sample.format === "SignedData") return null;
  const value = Number(sample.value);
  if (!Number.isFinite(value)) return null;
  return (sample.unit || "Wh") === "kWh" ? value * 1000 : value;
}

/**
 * Points {time (ms), wh (delivered since start)}: meterStart, every register reading, and
 * meterStop. Readings from before the start or out of order are kept as sent; the chart
 * shows what the charge point reported.
 */
export function energyPoints(transaction) {
  const points = [];
  const start = transaction.meterStart;
  const add = (iso, register) => {
    const time = new Date(iso).getTime();
    if (Number.isFinite(time) && Number.isFinite(register)) points.push({ time, wh: register - start });
  };
  if (transaction.startTimestamp) add(transaction.startTimestamp, start);
  for (const value of transaction.meterValues || []) {
    for (const sample of value.sampledValue || []) {
      const wh = registerWh(sample);
      if (wh !== null) add(value.timestamp, wh);
    }
  }
  if (transaction.stopTimestamp && transaction.meterStop !== null) add(transaction.stopTimestamp, transaction.meterStop);
  return points.sort((a, b) => a.time - b.time);
}

function niceStep(range) {
  const rough = range / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough || 1));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((step) => step >= rough) || magnitude * 10;
}

const shortTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function energyChart(transaction) {
  const points = energyPoints(transaction);
  if (points.length < 2) {
    return h("p", { class: "empty" }, "Not enough energy readings for a chart yet.");
  }
  const t0 = points[0].time;
  const t1 = Math.max(points[points.length - 1].time, t0 + 1);
  const maxKwh = Math.max(...points.map((p) => p.wh / 1000), 0);
  const minKwh = Math.min(...points.map((p) => p.wh / 1000), 0);
  const step = niceStep(maxKwh - minKwh || 1);
  const top = Math.ceil(maxKwh / step) * step || step;
  const bottom = Math.floor(minKwh / step) * step;
  const x = (time) => PAD.left + ((time - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (kwh) => HEIGHT - PAD.bottom - ((kwh - bottom) / (top - bottom)) * (HEIGHT - PAD.top - PAD.bottom);

  const grid = [];
  for (let value = bottom; value <= top + step / 2; value += step) {
    grid.push(
      svg("line", { class: "chart-grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      svg("text", { class: "chart-label", x: PAD.left - 8, y: y(value) + 4, "text-anchor": "end" }, `${Number(value.toFixed(3))}`),
    );
  }
  const ticks = [t0, t0 + (t1 - t0) / 2, t1].map((time, index) =>
    svg("text", { class: "chart-label", x: x(time), y: HEIGHT - PAD.bottom + 20, "text-anchor": ["start", "middle", "end"][index] }, shortTime.format(new Date(time))),
  );
  const line = points.map((p, i) => `${i ? "L" : "M"}${x(p.time).toFixed(1)},${y(p.wh / 1000).toFixed(1)}`).join(" ");
  const area = `${line} L${x(points[points.length - 1].time).toFixed(1)},${y(bottom)} L${x(t0).toFixed(1)},${y(bottom)} Z`;
  const delivered = points[points.length - 1].wh / 1000;
  const label = `Energy delivered: ${delivered.toFixed(2)} kWh between ${localTime(new Date(t0).toISOString())} and ${localTime(new Date(t1).toISOString())}, ${points.length} readings.`;

  return chartFigure(
    { label, grid, ticks, axisY: y(bottom), unit: "kWh" },
    svg("path", { class: "chart-area", d: area }),
    svg("path", { class: "chart-line", d: line }),
    points.map((p) =>
      svg("circle", { class: "chart-point", cx: x(p.time), cy: y(p.wh / 1000), r: 3 }, svg("title", {}, `${localTime(new Date(p.time).toISOString())}: ${(p.wh / 1000).toFixed(3)} kWh`)),
    ),
  );
}

/**
 * What both charts are drawn in: the SVG titled with `label`, its grid, the time axis at
 * `axisY`, the `marks` (areas, lines, points), the value ticks and `unit` along the
 * value axis; `label` again as the caption, for those who do not see the chart.
 */
function chartFigure({ label, grid, ticks, axisY, unit }, ...marks) {
  return h(
    "figure",
    { class: "chart" },
    svg(
      "svg",
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" },
      svg("title", {}, label),
      grid,
      svg("line", { class: "chart-axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: axisY, y2: axisY }),
      ...marks,
      ticks,
      svg("text", { class: "chart-label", x: 12, y: PAD.top + 4, transform: `rotate(-90 12 ${PAD.top + 4})`, "text-anchor": "end" }, unit),
    ),
    h("figcaption", { class: "muted" }, label),
  );
}

const durationLabel = (seconds) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

/**
 * The composite schedule (`GET .../composite-schedule`) as a step chart of the limit over
 * the window. A period without a limit (no profile applies) is left as a gap: OCPP has no
 * "unlimited", so the chart shows none rather than a made-up value.
 */
export function scheduleChart(answer) {
  const schedule = answer.chargingSchedule;
  const unit = schedule.chargingRateUnit;
  const duration = schedule.duration;
  const periods = schedule.chargingSchedulePeriod || [];
  const steps = periods.map((p, i) => ({ from: p.startPeriod, to: i + 1 < periods.length ? periods[i + 1].startPeriod : duration, limit: p.limit }));
  const limited = steps.filter((s) => s.limit !== null && s.limit !== undefined);
  const start = new Date(answer.scheduleStart).getTime();
  const describe = (s) => `${shortTime.format(new Date(start + s.from * 1000))}–${shortTime.format(new Date(start + s.to * 1000))}: ${s.limit === null || s.limit === undefined ? "no limit" : `${s.limit} ${unit}`}`;
  const label = `Composite schedule of connector ${answer.connectorId} for ${durationLabel(duration)} from ${localTime(answer.scheduleStart)}, in ${unit}: ${steps.map(describe).join("; ") || "no periods"}.`;
  if (!limited.length) {
    return h("figure", { class: "chart" }, h("p", { class: "empty" }, "No charging profile limits this connector in the window."), h("figcaption", { class: "muted" }, label));
  }

  const maxLimit = Math.max(...limited.map((s) => s.limit));
  const step = niceStep(maxLimit || 1);
  const top = Math.ceil(maxLimit / step) * step || step;
  const x = (seconds) => PAD.left + (seconds / duration) * (WIDTH - PAD.left - PAD.right);
  const y = (value) => HEIGHT - PAD.bottom - (value / top) * (HEIGHT - PAD.top - PAD.bottom);

  const grid = [];
  for (let value = 0; value <= top + step / 2; value += step) {
    grid.push(
      svg("line", { class: "chart-grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      svg("text", { class: "chart-label", x: PAD.left - 8, y: y(value) + 4, "text-anchor": "end" }, `${Number(value.toFixed(3))}`),
    );
  }
  const ticks = [0, duration / 2, duration].map((seconds, index) =>
    svg("text", { class: "chart-label", x: x(seconds), y: HEIGHT - PAD.bottom + 20, "text-anchor": ["start", "middle", "end"][index] }, shortTime.format(new Date(start + seconds * 1000))),
  );
  // One path: a horizontal run per limited period, a vertical join between adjacent ones.
  let line = "";
  let previous = null;
  for (const s of steps) {
    if (s.limit === null || s.limit === undefined) {
      previous = null;
      continue;
    }
    line += previous && previous.to === s.from ? ` V${y(s.limit).toFixed(1)}` : ` M${x(s.from).toFixed(1)},${y(s.limit).toFixed(1)}`;
    line += ` H${x(s.to).toFixed(1)}`;
    previous = s;
  }
  const areas = limited.map((s) =>
    svg(
      "rect",
      { class: "chart-area schedule-step", x: x(s.from), y: y(s.limit), width: Math.max(x(s.to) - x(s.from), 0.5), height: y(0) - y(s.limit) },
      svg("title", {}, describe(s)),
    ),
  );

  return chartFigure({ label, grid, ticks, axisY: y(0), unit }, areas, svg("path", { class: "chart-line", d: line.trim() }));
}
