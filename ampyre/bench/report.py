"""The benchmark report: one JSON-able dictionary (`--json`) and its text table.

Why both from one dictionary: what a script reads and what an operator reads are then
the same figures. Counts of calls and latency cover the measured window only (answers
that arrived in it); errors, timeouts and disconnects cover the whole run, because a
failure during warm-up or drain is still a failure.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from ampyre.bench.results import ServerSample, SwarmResult

#: Actions in the order a charge point sends them, for the per-action rows.
ACTION_ORDER = (
    "BootNotification",
    "StatusNotification",
    "Authorize",
    "StartTransaction",
    "MeterValues",
    "StopTransaction",
    "Heartbeat",
)


def _round(value: float | None, digits: int = 3) -> float | None:
    return round(value, digits) if value is not None else None


def _server_section(result: SwarmResult, completed: int) -> dict[str, Any] | None:
    config = result.config
    if config.server_pid is None:
        return None
    section: dict[str, Any] = {"pid": config.server_pid}
    start: ServerSample | None = result.server_window_start
    end: ServerSample | None = result.server_window_end
    window = result.window_s
    if start and end and start.cpu_s is not None and end.cpu_s is not None:
        cpu = end.cpu_s - start.cpu_s
        section["cpu_s_window"] = round(cpu, 3)
        section["cores_used_window"] = round(cpu / window, 3)
        section["us_per_call"] = round(cpu / completed * 1e6, 1) if completed else None
    before, connected = result.server_before, result.server_connected
    if before and connected and before.cpu_s is not None and connected.cpu_s is not None:
        section["cpu_s_connect_phase"] = round(connected.cpu_s - before.cpu_s, 3)
    last = end or connected
    if last is not None and last.hwm_kib is not None:
        section["vmhwm_mib"] = round(last.hwm_kib / 1024, 1)
        section["vmrss_mib"] = round((last.rss_kib or 0) / 1024, 1)
        if before is not None and before.rss_kib is not None and result.connected:
            growth = last.hwm_kib - before.rss_kib
            section["vmrss_mib_before"] = round(before.rss_kib / 1024, 1)
            section["mib_per_1000_connections"] = round(growth / 1024 / result.connected * 1000, 2)
    return section


def build_report(result: SwarmResult) -> dict[str, Any]:
    """The report of a run as plain JSON types."""
    config = result.config
    completed = result.completed_in_window
    totals = {"sent": 0, "results": 0, "callerrors": 0, "invalid": 0}
    actions: dict[str, Any] = {}
    order = {name: index for index, name in enumerate(ACTION_ORDER)}
    for name in sorted(result.actions, key=lambda action: (order.get(action, 99), action)):
        stats = result.actions[name]
        totals["sent"] += stats.sent
        totals["results"] += stats.results
        totals["callerrors"] += stats.callerrors
        totals["invalid"] += stats.invalid
        actions[name] = {
            "sent": stats.sent,
            "callresult": stats.results,
            "callerror": stats.callerrors,
            "invalid": stats.invalid,
            "latency_ms": stats.latency.summary_ms(),
        }
    report: dict[str, Any] = {
        "tool": "ampyre bench",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": {
            "url": config.url,
            "cps": config.cps,
            "mix": config.mix,
            "mode": "open" if config.open_loop else "closed",
            "rate": config.rate,
            "duration_s": config.duration,
            "warmup_s": config.warmup,
            "meter_values": config.meter_values,
            "id_prefix": config.id_prefix,
            "id_tags": len(config.id_tags),
            "call_timeout_s": config.call_timeout,
            "connect_concurrency": config.connect_concurrency,
            "client": "picows",
            "loop": result.loop_name,
            "cores": os.cpu_count(),
        },
        "window_s": round(result.window_s, 3),
        "calls": completed,
        "calls_per_s": round(completed / result.window_s, 1),
        "latency_ms": result.latency.summary_ms(),
        "counts": {
            "sent": totals["sent"],
            "callresult": totals["results"],
            "callerror": totals["callerrors"],
            "invalid": totals["invalid"],
            "timeouts": result.timeouts,
            "disconnected": result.disconnected,
            "stray_frames": result.stray_frames,
            "auth_not_accepted": result.auth_not_accepted,
            "server_calls": dict(sorted(result.server_calls.items())),
        },
        "actions": actions,
        "connections": {
            "established": result.connected,
            "failed": result.connect_failed,
            "subprotocol_missing": result.subprotocol_missing,
            "booted": result.booted,
            "boot_not_accepted": result.boot_not_accepted,
            "time_to_connect_all_s": _round(result.time_to_connect_all_s),
            "time_to_boot_all_s": _round(result.time_to_boot_all_s),
            "connect_phase_s": round(result.connect_phase_s, 3),
            "connect_ms": result.connect_latency.summary_ms(),
            "boot_ms": result.boot_latency.summary_ms(),
            "first_error": result.first_connect_error,
        },
        "errors": dict(result.errors.most_common()),
        "generator": {
            "cpu_s_window": round(result.generator_cpu_s_window, 3),
            "cores_used_window": round(result.generator_cpu_s_window / result.window_s, 3),
            "us_per_call": (
                round(result.generator_cpu_s_window / completed * 1e6, 1) if completed else None
            ),
            "cpu_s_connect_phase": round(result.generator_cpu_s_connect, 3),
            "cpu_s_total": round(result.generator_cpu_s_total, 3),
        },
    }
    if result.per_second:
        report["calls_per_s_min_max_per_second"] = [min(result.per_second), max(result.per_second)]
    if config.open_loop:
        report["open_loop"] = {
            "target_calls_per_s": config.rate,
            "latency_note": "latency_ms is measured from each CALL's scheduled time",
            "service_latency_ms": result.service_latency.summary_ms(),
            "send_lag_ms": result.send_lag.summary_ms(),
        }
    server = _server_section(result, completed)
    if server is not None:
        report["server"] = server
    return report


def _ms(value: Any) -> str:
    if value is None:
        return "-"
    value = float(value)
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _latency_cells(summary: dict[str, Any]) -> list[str]:
    if not summary.get("n"):
        return ["-"] * 5
    return [_ms(summary[key]) for key in ("p50", "p90", "p99", "p999", "max")]


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.rjust(widths[column]) if column in right else cell.ljust(widths[column])
            for column, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def render_text(report: dict[str, Any]) -> str:
    """The report as a table for a terminal."""
    config = report["config"]
    counts = report["counts"]
    connections = report["connections"]
    generator = report["generator"]
    mode = (
        f"open loop at {config['rate']:,.0f} calls/s" if config["mode"] == "open" else "closed loop"
    )
    lines = [
        f"ampyre bench: {config['cps']:,} charge points, mix {config['mix']}, {mode}, "
        f"{report['window_s']:.1f} s measured ({config['client']} on {config['loop']})",
        f"  {config['url']}",
        "",
    ]
    rows = [["action", "calls", "calls/s", "p50", "p90", "p99", "p99.9", "max", "errors"]]
    window = report["window_s"]
    for name, action in report["actions"].items():
        latency = action["latency_ms"]
        count = latency.get("n", 0)
        rows.append(
            [
                name,
                f"{count:,}",
                f"{count / window:,.0f}",
                *_latency_cells(latency),
                f"{action['callerror'] + action['invalid']:,}",
            ]
        )
    rows.append(
        [
            "all",
            f"{report['calls']:,}",
            f"{report['calls_per_s']:,.0f}",
            *_latency_cells(report["latency_ms"]),
            f"{counts['callerror'] + counts['invalid']:,}",
        ]
    )
    lines.append("latency in ms" + (" from the schedule" if config["mode"] == "open" else ""))
    lines.extend(_table(rows, right=set(range(1, 9))))
    lines.append("")
    lines.append(
        f"answers: {counts['callresult']:,} CALLRESULT, {counts['callerror']:,} CALLERROR, "
        f"{counts['invalid']:,} invalid; {counts['timeouts']:,} timeouts, "
        f"{counts['disconnected']:,} disconnected"
    )
    if counts["auth_not_accepted"]:
        lines.append(f"idTagInfo not Accepted: {counts['auth_not_accepted']:,}")
    if counts["server_calls"]:
        calls = ", ".join(f"{name} {n}" for name, n in counts["server_calls"].items())
        lines.append(f"CALLs from the server answered: {calls}")
    connect_all = connections["time_to_connect_all_s"]
    boot_all = connections["time_to_boot_all_s"]
    boot = connections["boot_ms"]
    lines.append(
        f"connections: {connections['established']:,} up, {connections['failed']:,} failed"
        + (
            f", {connections['subprotocol_missing']:,} without ocpp1.6"
            if connections["subprotocol_missing"]
            else ""
        )
        + f"; {connections['booted']:,} booted"
        + (
            f" ({connections['boot_not_accepted']:,} not Accepted)"
            if connections["boot_not_accepted"]
            else ""
        )
    )
    lines.append(
        f"time to connect all {_seconds(connect_all)}, to boot all {_seconds(boot_all)}; "
        f"boot latency ms p50 {_ms(boot.get('p50'))} p99 {_ms(boot.get('p99'))} "
        f"max {_ms(boot.get('max'))}"
    )
    if connections["first_error"]:
        lines.append(f"first connect error: {connections['first_error']}")
    if "open_loop" in report:
        service = report["open_loop"]["service_latency_ms"]
        lag = report["open_loop"]["send_lag_ms"]
        lines.append(
            f"open loop: service latency ms (from the send) p50 {_ms(service.get('p50'))} "
            f"p99 {_ms(service.get('p99'))}; send lag ms p99 {_ms(lag.get('p99'))} "
            f"max {_ms(lag.get('max'))}"
        )
    us = generator["us_per_call"]
    lines.append(
        f"generator CPU: {generator['cpu_s_window']:.2f} s in the window, "
        f"{generator['cores_used_window']:.2f} cores, "
        + (f"{us:.1f} us/call" if us is not None else "- us/call")
    )
    server = report.get("server")
    if server is not None:
        parts = [f"server pid {server['pid']}:"]
        if "cpu_s_window" in server:
            us_server = server["us_per_call"]
            parts.append(
                f"CPU {server['cpu_s_window']:.2f} s, {server['cores_used_window']:.2f} cores, "
                + (f"{us_server:.1f} us/call;" if us_server is not None else "- us/call;")
            )
        if "vmhwm_mib" in server:
            parts.append(
                f"VmHWM {server['vmhwm_mib']:.1f} MiB, VmRSS {server['vmrss_mib']:.1f} MiB"
            )
            if "mib_per_1000_connections" in server:
                parts.append(f"({server['mib_per_1000_connections']:.2f} MiB per 1,000 conns)")
        lines.append(" ".join(parts))
    if report["errors"]:
        lines.append("errors: " + ", ".join(f"{k} {v:,}" for k, v in report["errors"].items()))
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "-"
