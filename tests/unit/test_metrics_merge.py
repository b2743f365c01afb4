"""Under --workers, `/metrics` answers for the whole server from every worker's figures."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from ampyre.metrics import merge_expositions


def exposition(
    errors: dict[tuple[str, str], float],
    here: float,
    elsewhere: float,
    answers: dict[str, tuple[float, float, float]],
    started: float,
) -> str:
    class Worker:
        def collect(self) -> Any:
            counter = CounterMetricFamily("ampyre_ocpp_errors", "e", labels=["action", "code"])
            for labels, value in errors.items():
                counter.add_metric(list(labels), value)
            yield counter
            gauge = GaugeMetricFamily("ampyre_connected_charge_points", "c", labels=["where"])
            gauge.add_metric(["here"], here)
            gauge.add_metric(["elsewhere"], elsewhere)
            yield gauge
            histogram = HistogramMetricFamily("ampyre_ocpp_answer_seconds", "h", labels=["action"])
            for action, (fast, every, total) in answers.items():
                histogram.add_metric([action], [("0.1", fast), ("+Inf", every)], total)
            yield histogram
            yield GaugeMetricFamily("process_start_time_seconds", "s", value=started)

    registry = CollectorRegistry()
    registry.register(Worker())
    return generate_latest(registry).decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_amounts_are_summed_and_the_rest_combined_as_they_mean() -> None:
    scraped = exposition({("A", "X"): 2}, 3, 5, {"Heartbeat": (1, 2, 0.3)}, started=100)
    sibling = exposition(
        {("A", "X"): 1, ("B", "Y"): 4},
        2,
        6,
        {"Heartbeat": (2, 2, 0.1), "Boot": (1, 1, 0.05)},
        started=90,
    )
    merged = samples(merge_expositions([scraped, sibling]).decode())
    assert merged[("ampyre_ocpp_errors_total", (("action", "A"), ("code", "X")))] == 3
    # A label set only the sibling saw is kept.
    assert merged[("ampyre_ocpp_errors_total", (("action", "B"), ("code", "Y")))] == 4
    assert merged[("ampyre_ocpp_answer_seconds_count", (("action", "Heartbeat"),))] == 4
    assert (
        merged[("ampyre_ocpp_answer_seconds_bucket", (("action", "Heartbeat"), ("le", "0.1")))] == 3
    )
    assert merged[("ampyre_ocpp_answer_seconds_bucket", (("action", "Boot"), ("le", "+Inf")))] == 1
    assert merged[("ampyre_connected_charge_points", (("where", "here"),))] == 5
    # The scraped worker's "elsewhere" counted the sibling's two: other machines hold 3.
    assert merged[("ampyre_connected_charge_points", (("where", "elsewhere"),))] == 3
    assert merged[("process_start_time_seconds", ())] == 90
