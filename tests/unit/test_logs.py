"""What clients send cannot forge, paint or flood the log, nor leak file tokens."""

from __future__ import annotations

import logging

from hypothesis import given
from hypothesis import strategies as st

from ampyre.logs import MAX_MESSAGE, MaskFileTokens, SafeFormatter, safe_text


def test_control_characters_are_escaped() -> None:
    assert safe_text("CP-1\r\n2026-12-03 INFO forged") == "CP-1\\x0d\\x0a2026-12-03 INFO forged"
    assert safe_text("\x1b[31mred") == "\\x1b[31mred"


@given(st.text())
def test_a_message_is_always_one_bounded_line(text: str) -> None:
    line = safe_text(text)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert len(line) <= 4 * MAX_MESSAGE + 40


def test_the_formatter_escapes_the_message_but_keeps_tracebacks() -> None:
    formatter = SafeFormatter("%(message)s")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "ampyre", logging.ERROR, __file__, 1, "[%s] failed", ("a\nb",), sys.exc_info()
        )
    text = formatter.format(record)
    first, *rest = text.split("\n")
    assert first == "[a\\x0ab] failed"
    assert rest and rest[0].startswith("Traceback")


def test_file_tokens_are_masked_in_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "PUT", "/files/diagnostics/s3cr3t-token/diag.log", "1.1", 201),
        None,
    )
    MaskFileTokens().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/files/diagnostics/***/diag.log" in record.getMessage()


def test_json_lines_name_the_charge_point_in_a_field() -> None:
    import json

    from ampyre.logs import JsonFormatter

    record = logging.LogRecord(
        "ampyre.ocpp",
        logging.INFO,
        __file__,
        1,
        "[%s] %s answered %s",
        ("CP-1\n", "Reset", "Accepted"),
        None,
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["chargePointId"] == "CP-1"  # the trailing newline goes
    assert entry["message"] == "Reset answered Accepted"
    assert entry["level"] == "info" and entry["logger"] == "ampyre.ocpp"
    plain = logging.LogRecord("uvicorn", logging.WARNING, __file__, 1, "plain %d", (1,), None)
    assert json.loads(JsonFormatter().format(plain))["message"] == "plain 1"
