"""The answers a connection keeps for CALLs a charge point repeats (OCPP-J 4.1.1)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict

from ampyre.ocpp.v16.framing import Call

__all__ = ["AnswerCache"]


class AnswerCache:
    """Answers to recent CALLs of one charge point, for CALLs repeated with the same id.

    A charge point that lost an answer sends the CALL again with the same message id; it
    gets the same answer and the message takes effect once. Keyed by id, action and a
    digest of the frame as received, since some charge points restart their message
    counters after a reboot: a resent CALL is the same frame again (OCPP-J 4.1.1), and
    digesting the text costs a tenth of writing the parsed payload out again.
    """

    #: Answers longer than this are not kept (a bound on memory per charge point).
    MAX_ANSWER = 4096

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str, str], asyncio.Future[str]] = OrderedDict()

    @staticmethod
    def key(call: Call, text: str | bytes) -> tuple[str, str, str]:
        data = text.encode() if isinstance(text, str) else text
        return (call.unique_id, call.action, hashlib.blake2b(data, digest_size=16).hexdigest())

    def get(self, key: tuple[str, str, str]) -> asyncio.Future[str] | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str, str], answer: asyncio.Future[str]) -> None:
        self._entries[key] = answer
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def discard(self, key: tuple[str, str, str]) -> None:
        self._entries.pop(key, None)
