"""Handlers translate, services decide: typed request -> service call -> typed confirmation.

On a real SQLite file with the real services (`CentralSystem.build`), no server, no socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.v16.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    DataTransferStatus,
    GenericStatus,
    Reason,
    RegistrationStatus,
)

from ampyre.config import Settings
from ampyre.handlers import core, security
from ampyre.handlers.context import ChargePointSession, MessageContext
from ampyre.handlers.dispatcher import Dispatcher
from ampyre.ocpp.v16.errors import NotSupportedError, SecurityError
from ampyre.ocpp.v16.messages import (
    AuthorizeReq,
    BootNotificationReq,
    DataTransferReq,
    MeterValue,
    MeterValuesReq,
    SignCertificateReq,
    StartTransactionReq,
    StatusNotificationReq,
    StopTransactionReq,
    unparse,
)
from ampyre.services.central_system import CentralSystem
from ampyre.services.charge_points import UNCHANGED, ChargePointUpdate
from ampyre.services.clock import format_timestamp, now
from ampyre.services.connection_admission import ConnectRefusal
from ampyre.services.data_transfer import DataTransferReply
from ampyre.services.gateway import OfflineGateway
from ampyre.storage.database import Database
from ampyre.storage.models import Reservation

T0 = "2024-05-01T10:00:00Z"
CP = "CP-1"


@pytest.fixture
async def csms(tmp_path: Path) -> AsyncIterator[CentralSystem]:
    db = Database(f"sqlite:///{tmp_path / 'handlers.db'}")
    await db.migrate()
    try:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'handlers.db'}",
            heartbeat_interval=120,
            remote_start_timeout=60,
            data_dir=str(tmp_path / "data"),
        )
        system = CentralSystem.build(db, OfflineGateway(), settings)
        await system.charge_points.register(CP)
        yield system
    finally:
        await db.dispose()


@pytest.fixture
def ctx(csms: CentralSystem) -> MessageContext:
    return MessageContext(csms, ChargePointSession(CP))


async def test_boot_stores_the_description_and_answers_the_registration(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    request = BootNotificationReq(
        charge_point_vendor="Acme", charge_point_model="X1", firmware_version="2.0", iccid="89"
    )
    answer = await core.boot_notification(ctx, request)
    assert answer.status is RegistrationStatus.accepted and answer.interval == 120
    assert answer.current_time.endswith("Z")
    assert ctx.session.boot_status is RegistrationStatus.accepted
    stored = await csms.charge_points.get(CP)
    assert (stored.charge_point_vendor, stored.charge_point_model) == ("Acme", "X1")
    assert (stored.firmware_version, stored.iccid, stored.imsi) == ("2.0", "89", None)

    await csms.charge_points.update(
        CP, ChargePointUpdate(registration_status=RegistrationStatus.pending)
    )
    pending = await core.boot_notification(ctx, request)
    assert pending.status is RegistrationStatus.pending
    assert unparse(pending)["status"] == "Pending"


async def test_authorize_builds_id_tag_info_from_the_decision(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    expiry = now() + timedelta(days=30)
    await csms.id_tags.create("fleet")
    await csms.id_tags.create("driver", expiry_date=expiry, parent_id_tag="fleet")
    answer = await core.authorize(ctx, AuthorizeReq(id_tag="DRIVER"))
    assert unparse(answer) == {
        "idTagInfo": {
            "status": "Accepted",
            "expiryDate": format_timestamp(expiry),
            "parentIdTag": "fleet",
        }
    }
    unknown = await core.authorize(ctx, AuthorizeReq(id_tag="nobody"))
    assert unparse(unknown) == {"idTagInfo": {"status": "Invalid"}}


async def test_a_transaction_from_start_to_stop(csms: CentralSystem, ctx: MessageContext) -> None:
    await csms.id_tags.create("driver")
    start = StartTransactionReq(connector_id=1, id_tag="driver", meter_start=100, timestamp=T0)
    started = await core.start_transaction(ctx, start)
    assert started.id_tag_info.status is AuthorizationStatus.accepted
    # The same StartTransaction again: the same transaction, answered as before.
    assert (await core.start_transaction(ctx, start)).transaction_id == started.transaction_id

    reading = MeterValue(
        timestamp="2024-05-01T10:05:00+02:00", sampled_value=[{"value": "150", "unit": "Wh"}]
    )
    meter = MeterValuesReq(
        connector_id=1, meter_value=[reading], transaction_id=started.transaction_id
    )
    assert unparse(await core.meter_values(ctx, meter)) == {}

    stop = StopTransactionReq(
        transaction_id=started.transaction_id,
        meter_stop=600,
        timestamp="2024-05-01T11:00:00Z",
        id_tag="driver",
        reason=Reason.ev_disconnected,
        transaction_data=[MeterValue(timestamp=T0, sampled_value=[{"value": "600"}])],
    )
    stopped = await core.stop_transaction(ctx, stop)
    assert unparse(stopped) == {"idTagInfo": {"status": "Accepted"}}

    transaction, values = await csms.transactions.get(started.transaction_id)
    assert (transaction.connector_id, transaction.meter_start, transaction.meter_stop) == (
        1,
        100,
        600,
    )
    assert transaction.stop_reason == "EVDisconnected"
    assert transaction.start_timestamp == datetime(2024, 5, 1, 10, tzinfo=UTC)
    # Timestamps with an offset are stored in UTC; sampled values verbatim.
    assert [(value.timestamp.hour, value.sampled_value) for value in values] == [
        (8, [{"value": "150", "unit": "Wh"}]),
        (10, [{"value": "600"}]),
    ]


async def test_a_stop_without_id_tag_answers_nothing_and_an_unknown_one_is_kept(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    stop = StopTransactionReq(transaction_id=424242, meter_stop=5, timestamp=T0)
    assert unparse(await core.stop_transaction(ctx, stop)) == {}
    unmatched, total = await csms.transactions.unmatched_stops(
        charge_point_id=CP, limit=10, offset=0
    )
    assert total == 1 and unmatched[0].reason == "Local"  # OCPP 1.6, 7.45: no reason: Local


async def _reserve(
    csms: CentralSystem,
    reservation_id: int,
    connector_id: int,
    expiry: datetime,
    id_tag: str = "guest",
    parent_id_tag: str | None = None,
) -> None:
    async with csms.db.sessions.begin() as session:
        session.add(
            Reservation(
                reservation_id=reservation_id,
                charge_point_id=CP,
                connector_id=connector_id,
                id_tag=id_tag,
                parent_id_tag=parent_id_tag,
                expiry_date=expiry,
                status="Reserved",
                created_at=now(),
                updated_at=now(),
            )
        )


async def _reservation_status(csms: CentralSystem, reservation_id: int) -> str:
    async with csms.db.sessions() as session:
        reservation = await session.get(Reservation, reservation_id)
        assert reservation is not None
        return reservation.status


async def _reservation_transaction(csms: CentralSystem, reservation_id: int) -> int | None:
    async with csms.db.sessions() as session:
        reservation = await session.get(Reservation, reservation_id)
        assert reservation is not None
        return reservation.transaction_id


async def test_a_start_uses_the_reservation_of_its_tag_its_group_or_the_one_it_names(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    later = now() + timedelta(hours=1)
    started_at = format_timestamp(now())
    await csms.id_tags.create("fleet")
    await csms.id_tags.create("member", parent_id_tag="fleet")
    await _reserve(csms, 10, 0, later, id_tag="other")  # any connector, another tag
    await _reserve(csms, 11, 0, later, id_tag="guest")  # any connector
    await _reserve(csms, 12, 2, later, id_tag="guest")  # this very connector: preferred
    await _reserve(csms, 13, 3, later, id_tag="boss", parent_id_tag="fleet")
    await _reserve(csms, 14, 4, later, id_tag="someone")

    async def start(connector: int, tag: str, reservation_id: int | None = None) -> int:
        request = StartTransactionReq(
            connector_id=connector,
            id_tag=tag,
            meter_start=0,
            timestamp=started_at,
            reservation_id=reservation_id,
        )
        answer = await core.start_transaction(ctx, request)
        # A tag the store does not know but a reservation names is accepted while it holds.
        assert answer.id_tag_info.status is AuthorizationStatus.accepted
        return answer.transaction_id

    on_two = await start(2, "GUEST")
    assert await _reservation_status(csms, 12) == "Used"
    assert await _reservation_transaction(csms, 12) == on_two
    assert await _reservation_status(csms, 11) == "Reserved"
    # A member of the reserving tag's group uses it (OCPP 1.6, 5.13).
    on_three = await start(3, "member")
    assert await _reservation_transaction(csms, 13) == on_three
    # The reservation the charge point names is the one used, even of another connector.
    named = await start(1, "someone", reservation_id=14)
    assert await _reservation_transaction(csms, 14) == named
    assert await _reservation_status(csms, 10) == "Reserved"


async def test_status_notification_records_the_connector_and_ends_reservations(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    await _reserve(csms, 1, 1, now() + timedelta(hours=1))
    await _reserve(csms, 2, 2, now() - timedelta(minutes=1))
    await _reserve(csms, 3, 3, now() + timedelta(hours=1))

    def status(connector: int, state: ChargePointStatus) -> StatusNotificationReq:
        return StatusNotificationReq(
            connector_id=connector,
            error_code=ChargePointErrorCode.no_error,
            status=state,
            timestamp=format_timestamp(now()),
            vendor_error_code="V7",
        )

    # Available before its expiry ends nothing; after it, the reservation expired.
    await core.status_notification(ctx, status(1, ChargePointStatus.available))
    await core.status_notification(ctx, status(2, ChargePointStatus.available))
    # A Faulted connector's reservation is cancelled (OCPP 1.6, 5.13).
    await core.status_notification(ctx, status(3, ChargePointStatus.faulted))
    assert [await _reservation_status(csms, n) for n in (1, 2, 3)] == [
        "Reserved",
        "Expired",
        "Cancelled",
    ]
    connectors = {c.connector_id: c for c in await csms.charge_points.connectors(CP)}
    assert connectors[3].status == "Faulted" and connectors[3].error_code == "NoError"
    assert connectors[1].vendor_error_code == "V7" and connectors[1].info is None


async def test_data_transfer_answers_from_the_vendor_handlers(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    echo = await core.data_transfer(
        ctx, DataTransferReq(vendor_id="org.ampyre", message_id="echo", data="hi")
    )
    assert unparse(echo) == {"status": "Accepted", "data": "hi"}
    unknown = await core.data_transfer(ctx, DataTransferReq(vendor_id="com.nobody"))
    assert unknown.status is DataTransferStatus.unknown_vendor_id

    async def plugin(charge_point_id: str, message_id: str | None, data: str | None) -> Any:
        # Plugins may answer with the documented dict.
        return {"status": "Rejected"}

    csms.data_transfer.register("com.acme", plugin)
    acme = await core.data_transfer(ctx, DataTransferReq(vendor_id="com.acme", message_id="x"))
    assert unparse(acme) == {"status": "Rejected"}
    typed = await csms.data_transfer.handle(CP, "org.ampyre", "other", None)
    assert typed == DataTransferReply(DataTransferStatus.unknown_message_id)


async def test_the_dispatcher_converts_and_keeps_the_registration_rule(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    dispatcher = Dispatcher()
    answer = await dispatcher.dispatch(ctx, "Authorize", {"idTag": "nobody"})
    assert answer == {"idTagInfo": {"status": "Invalid"}}
    heartbeat = await dispatcher.dispatch(ctx, "Heartbeat", {})
    assert list(heartbeat) == ["currentTime"] and heartbeat["currentTime"].endswith("Z")
    ctx.session.boot_status = RegistrationStatus.pending
    with pytest.raises(SecurityError):
        await dispatcher.dispatch(ctx, "Authorize", {"idTag": "nobody"})
    boot = await dispatcher.dispatch(
        ctx, "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    assert boot["status"] == "Accepted" and ctx.session.boot_status is RegistrationStatus.accepted
    with pytest.raises(NotSupportedError):
        await Dispatcher({}).dispatch(ctx, "Heartbeat", {})


async def test_connect_refusals_and_typed_updates(csms: CentralSystem) -> None:
    refused = await csms.charge_points.authorize_connection(
        "CP-unknown", None, tls=False, client_cert=False
    )
    assert not refused.allowed and refused.refusal is ConnectRefusal.UNKNOWN
    await csms.charge_points.update(CP, ChargePointUpdate(password="s3cret-password"))
    stored = await csms.charge_points.get(CP)
    assert stored.security_profile == 1  # a password lifts profile 0 to 1
    missing = await csms.charge_points.authorize_connection(CP, None, tls=False, client_cert=False)
    assert missing.refusal is ConnectRefusal.CREDENTIALS_REQUIRED
    await csms.charge_points.update(CP, ChargePointUpdate(password=None, lenient=True))
    stored = await csms.charge_points.get(CP)
    assert stored.security_profile == 0 and stored.lenient
    assert ChargePointUpdate().security_profile is UNCHANGED
    admitted = await csms.charge_points.authorize_connection(CP, None, tls=False, client_cert=False)
    assert admitted.allowed and admitted.lenient and admitted.boot_status is None


async def test_sign_certificate_answers_from_the_csr_rules_and_signs_after(
    csms: CentralSystem, ctx: MessageContext
) -> None:
    def csr(organization: str) -> str:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, CP),
            ]
        )
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(subject)
            .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
        )
        return request.public_bytes(serialization.Encoding.PEM).decode()

    refused = await security.sign_certificate(ctx, SignCertificateReq(csr("Other")))
    assert refused.status is GenericStatus.rejected
    accepted = await security.sign_certificate(ctx, SignCertificateReq(csr("Ampyre")))
    assert accepted.status is GenericStatus.accepted
    events, _ = await csms.event_log.page(CP, action="SignCertificate", limit=10, offset=0)
    assert [e.payload["status"] for e in events] == ["Accepted", "Rejected"]
    assert "O 'Other'" in events[1].payload["reason"]
    # Signed after the answer; with no server to carry it, CertificateSigned is not sent.
    async with asyncio.timeout(10):
        while True:
            issued, total = await csms.certificates.issued(CP, limit=10, offset=0)
            if issued and issued[0].status != "Sending":
                break
            await asyncio.sleep(0.01)
    assert total == 1 and issued[0].status == "NotSent"
    assert issued[0].subject == f"CN={CP},O=Ampyre"
