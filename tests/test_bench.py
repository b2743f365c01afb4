"""`ampyre bench`: histogram percentiles, the payloads against the OCPP 1.6 schemas, the
answer checks, the one-line errors and a short run against a real server."""

from __future__ import annotations

import asyncio
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ampyre.bench.histogram import Histogram, bucket_bounds, bucket_index
from ampyre.bench.mixes import (
    MAX_SAMPLED_VALUES,
    MIN_SAMPLED_VALUES,
    MIXES,
    SERVER_CALL_ANSWERS,
    MixSettings,
    boot_notification,
    check_answer,
    sampled_values,
)
from ampyre.cli import main
from ampyre.ocpp.v16.validation import get_validator
from tests.conftest import running_server
from tests.server import TOKEN, free_port

# -- histogram


def reference_percentile(ordered: list[int], q: float) -> int:
    """Nearest rank: the ceil(q/100 * n)-th smallest value."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histogram_percentiles_match_sorted_samples(seed: int) -> None:
    rng = random.Random(seed)
    # latencies from tens of microseconds to seconds, with a heavy tail
    values = [int(rng.lognormvariate(7, 1.5)) for _ in range(20_000)] + [0, 5, 3_000_000]
    histogram = Histogram.of(values)
    ordered = sorted(values)
    for q in (0, 1, 10, 50, 90, 99, 99.9, 99.99, 100):
        expected = reference_percentile(ordered, q)
        got = histogram.percentile(q)
        assert expected <= got <= expected * (1 + 1 / 64) + 1, (q, expected, got)
    assert histogram.count == len(values)
    assert histogram.min == ordered[0] and histogram.max == ordered[-1]
    assert histogram.mean() == pytest.approx(sum(values) / len(values))


def test_histogram_is_exact_for_small_values_and_merges() -> None:
    small = list(range(128)) * 3
    histogram = Histogram.of(small)
    ordered = sorted(small)
    for q in (1, 25, 50, 75, 99, 100):
        assert histogram.percentile(q) == reference_percentile(ordered, q)
    left, right = Histogram.of([10, 2_000, 70_000]), Histogram.of([5, 999_999])
    left.merge(right)
    assert left.counts == Histogram.of([10, 2_000, 70_000, 5, 999_999]).counts
    assert (left.count, left.min, left.max) == (5, 5, 999_999)
    assert Histogram().percentile(99) == 0
    assert Histogram().summary_ms() == {"n": 0}


def test_histogram_buckets_cover_every_value_once() -> None:
    previous_high = -1
    for index in range(bucket_index(10**9) + 1):
        low, high = bucket_bounds(index)
        assert low == previous_high + 1
        assert bucket_index(low) == index and bucket_index(high) == index
        assert (high - low + 1) / low <= 1 / 64 if low >= 128 else high == low
        previous_high = high


# -- payloads


def play(mix: str, calls: int, answers: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    settings = MixSettings(id_tags=("bench-cp-TAG0", "bench-cp-TAG1"), meter_values=3)
    generator = MIXES[mix](random.Random(7), settings)
    sent: list[tuple[str, Any]] = []
    answer: dict[str, Any] | None = None
    for _ in range(calls):
        try:
            action, payload = generator.send(answer) if sent else next(generator)
        except StopIteration:
            break
        sent.append((action, payload))
        answer = answers.get(action, {})
    return sent


ANSWERS = {
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 4711, "idTagInfo": {"status": "Accepted"}},
}


def test_realistic_mix_sends_a_charging_session_with_the_answered_transaction_id() -> None:
    sent = play("realistic", 30, ANSWERS)
    sent = sent[[action for action, _ in sent].index("Heartbeat") + 1 :]  # a whole session
    actions = [action for action, _ in sent]
    assert actions[:9] == [
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "MeterValues",
        "MeterValues",
        "MeterValues",
        "StopTransaction",
        "Heartbeat",
        "StatusNotification",
    ]
    assert sent[0][1]["status"] == "Preparing"
    assert sent[6][1]["transactionId"] == 4711
    assert all(payload["transactionId"] == 4711 for action, payload in sent[3:6])
    # the meter register only grows
    registers = [int(p["meterValue"][0]["sampledValue"][0]["value"]) for _, p in sent[3:6]]
    assert registers == sorted(registers) and sent[6][1]["meterStop"] == registers[-1]


def test_realistic_mix_without_a_transaction_id_skips_the_stop() -> None:
    sent = play("realistic", 30, {})
    actions = [action for action, _ in sent]
    assert "StopTransaction" not in actions and actions.count("Authorize") >= 2
    assert all("transactionId" not in p for a, p in sent if a == "MeterValues")


def test_realistic_mix_starts_the_swarm_at_different_steps() -> None:
    settings = MixSettings(id_tags=("T",), meter_values=5)
    first = {next(MIXES["realistic"](random.Random(seed), settings))[0] for seed in range(50)}
    assert first == {
        "StatusNotification",
        "Authorize",
        "StartTransaction",
        "MeterValues",
        "Heartbeat",
    }


@pytest.mark.parametrize("mix", ["realistic", "heartbeat", "meter"])
def test_every_payload_is_valid_against_the_ocpp_schemas(mix: str) -> None:
    validator = get_validator()
    for action, payload in play(mix, 200, ANSWERS):
        validator.validate_request(action, payload)
    validator.validate_request("BootNotification", boot_notification("bench-cp-" + "9" * 40))


def test_sampled_values_cover_all_measurands_and_stay_valid() -> None:
    validator = get_validator()
    rng = random.Random(3)
    for count in range(MIN_SAMPLED_VALUES, MAX_SAMPLED_VALUES + 1):
        values = sampled_values(123_456, rng, count)
        assert len(values) == count
        validator.validate_request(
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": values}],
            },
        )
    measurands = {value["measurand"] for value in sampled_values(1, rng, MAX_SAMPLED_VALUES)}
    assert measurands == {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "SoC",
        "Temperature",
    }


def test_answers_to_server_calls_are_valid() -> None:
    validator = get_validator()
    for action, payload in SERVER_CALL_ANSWERS.items():
        validator.validate_response(action, payload)
    assert SERVER_CALL_ANSWERS["GetConfiguration"] == {"configurationKey": []}
    assert SERVER_CALL_ANSWERS["TriggerMessage"] == {"status": "Rejected"}


def test_connect_mix_sends_nothing_after_the_boot() -> None:
    assert play("connect", 5, {}) == []


# -- answer checks


@pytest.mark.parametrize(
    ("action", "payload", "problem"),
    [
        ("BootNotification", {"status": "Accepted", "currentTime": "x", "interval": 60}, None),
        ("BootNotification", {"status": "Fine", "currentTime": "x", "interval": 60}, "status"),
        ("BootNotification", {"status": "Accepted", "interval": 60}, "currentTime"),
        (
            "BootNotification",
            {"status": "Accepted", "currentTime": "x", "interval": "60"},
            "interval",
        ),
        ("Heartbeat", {"currentTime": "x"}, None),
        ("Heartbeat", {}, "currentTime"),
        ("Authorize", {"idTagInfo": {"status": "Invalid"}}, None),
        ("Authorize", {"idTagInfo": {}}, "idTagInfo.status"),
        ("StartTransaction", {"idTagInfo": {"status": "Accepted"}, "transactionId": 1}, None),
        (
            "StartTransaction",
            {"idTagInfo": {"status": "Accepted"}, "transactionId": "1"},
            "transactionId",
        ),
        (
            "StartTransaction",
            {"idTagInfo": {"status": "Accepted"}, "transactionId": True},
            "transactionId",
        ),
        ("StopTransaction", {}, None),
        ("StopTransaction", {"idTagInfo": {"status": "?"}}, "idTagInfo.status"),
        ("MeterValues", {}, None),
        ("MeterValues", [], "payload"),
    ],
)
def test_check_answer(action: str, payload: Any, problem: str | None) -> None:
    assert check_answer(action, payload) == problem


# -- the command


def bench_command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ampyre", "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "http://127.0.0.1:1/ocpp"], "ws:// or wss://"),
        (["--id-prefix", "a-very-long-prefix-"], "longer than 20"),
        (["--url", f"ws://127.0.0.1:{free_port()}/ocpp", "--cps", "3"], "cannot connect"),
        (["--register", "--api-token", ""], "--register needs --api-token"),
    ],
)
def test_bad_options_and_no_server_give_one_line_and_exit_code_2(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(main, ["bench", *args, "--duration", "1", "--warmup", "0"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


async def test_bench_against_a_real_server(backend: str, workdir: Path) -> None:
    async with running_server(backend, workdir, "--auto-register") as server:
        assert server.process is not None
        args = [
            "--url",
            server.ws_url,
            "--cps",
            "20",
            "--duration",
            "2",
            "--warmup",
            "0.5",
            "--id-tags",
            "5",
            "--register",
            "--api-url",
            f"{server.http_url}/api/v1",
            "--api-token",
            TOKEN,
            "--server-pid",
            str(server.process.pid),
            "--json",
        ]
        result = await asyncio.to_thread(bench_command, *args)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["calls"] > 0
    assert report["counts"]["timeouts"] == 0
    assert report["counts"]["invalid"] == 0
    assert report["counts"]["callerror"] == 0, report["errors"]
    assert report["connections"]["established"] == 20
    assert report["connections"]["failed"] == 0
    assert report["connections"]["booted"] == 20
    assert report["counts"]["auth_not_accepted"] == 0
    assert set(report["actions"]) >= {"StatusNotification", "Authorize", "StartTransaction"}
    assert report["latency_ms"]["n"] == report["calls"]
    assert report["server"]["pid"] == server.process.pid
    assert report["server"]["cpu_s_window"] >= 0
    assert report["server"]["vmhwm_mib"] > 0
