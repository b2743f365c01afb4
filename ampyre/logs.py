"""How the server writes its log: one line per event, whatever clients send.

Charge points choose their identities and action names, and URLs carry file tokens: none
of that may forge a log line (CR, LF), paint an operator's terminal (ANSI escapes), flood
the log, or hand a reader a secret. Every message is escaped and cut here, once, rather
than at each of the places that log a client's words.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import orjson

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
#: Longest message written; the rest is cut (a traceback after it is kept whole).
MAX_MESSAGE = 2000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: The secret segment of a charge point's file URL (`/files/firmware/TOKEN/name`).
_FILE_TOKEN = re.compile(r"(/files/(?:firmware|diagnostics)/)[^/\s\"]+")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def safe_text(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` on one line, control characters escaped, at most `limit` characters."""
    text = text.rstrip("\r\n")
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} characters)"
    return _CONTROL.sub(_escaped, text)


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return safe_text(super().formatMessage(record))


class MaskFileTokens(logging.Filter):
    """The access log names requests by their path: not with the file tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _FILE_TOKEN.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors: time, level, logger, message, and the
    charge point as a field of its own where a line names one (`[%s] ...` lines)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if isinstance(record.msg, str) and record.msg.startswith("[%s] ") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            entry["chargePointId"] = safe_text(str(args[0]), 200)
            entry["message"] = safe_text(record.msg[5:] % args[1:])
        else:
            entry["message"] = safe_text(record.getMessage())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else SafeFormatter(LOG_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # Per-message lines are debug; the access log of the REST API stays at info.
    logging.getLogger("ampyre").setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").addFilter(MaskFileTokens())
