"""What the transport needs from the application behind it.

The transport carries OCPP-J frames: it admits WebSockets, parses and validates frames,
keeps the repeated-CALL cache and the one outstanding CALL. What a message *means* is the
application's business, reached only through these two protocols (implemented by
`handlers/application.py`). So the transport imports neither handlers nor services, and
another application (a test double, a different OCPP version's handlers) plugs in alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

#: A lenient repair: (action, JSON path, kind, human-readable detail).
Deviation = tuple[str, str, str, str]


class Admission(Protocol):
    """The application's answer to a connection attempt."""

    @property
    def allowed(self) -> bool: ...

    @property
    def status(self) -> int:
        """HTTP status to refuse with when not allowed (404, 401, ...)."""
        ...

    @property
    def reason(self) -> str: ...

    @property
    def lenient(self) -> bool:
        """Repair known schema deviations of this charge point instead of refusing them."""
        ...


class Session(Protocol):
    """One charge point's connection, as the application sees it."""

    #: Answer a validated CALL (action, payload) -> payload; raise `OcppError` for a
    #: CALLERROR. An attribute, so an application can hand over its dispatcher's own
    #: coroutine function without a frame in between.
    handle: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

    async def record_deviations(self, deviations: list[Deviation]) -> None:
        """Keep the lenient repairs made to this charge point's messages."""
        ...

    def on_call_answered(
        self, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        """The charge point answered a CSMS CALL. Runs in the receive loop, before the
        charge point's next message is handled."""
        ...


class FrameObserver(Protocol):
    """Sees every OCPP-J frame of every connection, in both directions (the message log).

    Called on the message path, so it must only take note (no waiting, no I/O): the
    application keeps the frames and writes them elsewhere.
    """

    def frame(
        self,
        charge_point_id: str,
        incoming: bool,
        message_type: int | None,
        unique_id: str | None,
        action: str | None,
        text: str,
        answer_ms: float | None,
    ) -> None:
        """One frame as it went over the wire. `message_type` 2, 3 or 4 (None for a frame
        that could not be parsed); `action`: a CALL's, or for an answer the action of the
        CALL it answers (None when it matches none); `answer_ms`: for an answer, the time
        since its CALL was received or sent."""
        ...


class SharedAnswers(Protocol):
    """Answers kept for the whole cluster: a charge point whose connection to one node
    broke may repeat a CALL to another, and gets the answer it missed. Only its last
    answer can be missed: a charge point sends a CALL once the one before was answered
    (OCPP-J 1.6, 4.1.1)."""

    def remember(self, identity: str, key: tuple[str, str, str], frame: str) -> None:
        """Keep an answer (without waiting: not on the message's path)."""
        ...

    async def last(self, identity: str) -> tuple[tuple[str, str, str], str] | None:
        """The charge point's last answer on any node: its CALL's key and the frame."""
        ...


AdmissionT = TypeVar("AdmissionT", bound=Admission)


class Application(Protocol[AdmissionT]):
    """The application's admission type is its own: what `admit` decides, `open_session`
    gets back."""

    async def admit(
        self,
        identity: str,
        password: str | None,
        *,
        tls: bool,
        client_certificate: bool,
        address: str | None,
    ) -> AdmissionT:
        """Decide at the HTTP upgrade; `client_certificate`: a verified TLS client
        certificate names this identity; `address`: the client's IP address."""
        ...

    def open_session(self, identity: str, admission: AdmissionT) -> Session: ...

    def connected(self, identity: str, at: datetime) -> None: ...

    def disconnected(self, identity: str, at: datetime) -> None: ...
