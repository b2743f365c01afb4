"""Charge point certificates end to end (security whitepaper A02/A03, M03-M05): the CSMS
CA signs a simulated charge point's CSR, bad CSRs are refused and logged, CA certificates
are installed, listed and deleted, and certificates near expiry are renewed."""

from __future__ import annotations

import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import update

from ampyre.ocpp.v16.certificate_hash import certificate_hash_data
from ampyre.simulator import SimulatedChargePoint
from ampyre.storage.database import Database
from ampyre.storage.models import IssuedCertificate
from tests.certificates import make_pki
from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import TOKEN, Server, wait_for

ROOT = "CentralSystemRootCertificate"


def csr_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, cn: str, o: str = "Ampyre") -> str:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def assert_no_private_key(*texts: str) -> None:
    for text in texts:
        assert "PRIVATE KEY" not in text


async def connected_simulator(
    server: Server, cp_id: str, **options: object
) -> SimulatedChargePoint:
    simulated = SimulatedChargePoint(server.ws_url, cp_id, follow_up_delay=0.01, **options)  # type: ignore[arg-type]
    await simulated.connect()
    await simulated.boot_until_accepted()
    return simulated


async def test_renewal_signs_the_charge_points_csr_and_sends_the_chain(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    simulated = await connected_simulator(server, cp_id)
    try:
        answer = await api.post(f"/charge-points/{cp_id}/certificates/renew")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "Accepted"}
        await simulated.wait_for_received("CertificateSigned", timeout=10)
        await simulated.wait_until(lambda: simulated.certificates.certificate is not None, 5)
        assert simulated.failures == [] and simulated.protocol_errors == []
    finally:
        await simulated.close()

    leaf, root = simulated.certificates.chain
    ca = (await api.get("/ca")).json()
    assert x509.load_pem_x509_certificate(ca["certificate"].encode()) == root
    leaf.verify_directly_issued_by(root)
    assert leaf.subject.rfc4514_string() == f"CN={cp_id},O=Ampyre"

    async def accepted() -> dict | None:  # type: ignore[type-arg]
        listed = (await api.get(f"/charge-points/{cp_id}/certificates")).json()
        return listed if listed["items"] and listed["items"][0]["status"] == "Accepted" else None

    listed = await wait_for(accepted)
    assert listed["total"] == 1
    issued = listed["items"][0]
    assert issued["serialNumber"] == format(leaf.serial_number, "x")
    assert issued["notAfter"].startswith(leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M"))
    assert 363 <= issued["daysLeft"] <= 365 and issued["expired"] is False
    assert x509.load_pem_x509_certificate(issued["certificate"].encode()) == leaf

    # The key stays in its owner-only file, and out of every answer.
    key_file = server.workdir / "ampyre-data" / "ca" / "ca-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    events = await api.get(f"/charge-points/{cp_id}/events")
    assert [e["payload"].get("status") for e in events.json()["items"]] == ["Accepted"]
    assert_no_private_key(
        (await api.get("/ca")).text,
        (await api.get(f"/charge-points/{cp_id}/certificates")).text,
        events.text,
        (await api.get("/openapi.json")).text,
        server.log(),
    )


async def test_a_bad_csr_is_rejected_and_recorded(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    good_key = ec.generate_private_key(ec.SECP256R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed = csr_pem(rsa_key, cp_id)
    der = bytearray(
        x509.load_pem_x509_csr(signed.encode()).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01
    bad_signature = (
        x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
    )
    cases = {
        "CN": csr_pem(good_key, "CP-someone-else"),
        "O ": csr_pem(good_key, cp_id, o="Another CPO"),
        "RSA key of 1024 bits": csr_pem(
            rsa.generate_private_key(public_exponent=65537, key_size=1024), cp_id
        ),
        "signature does not verify": bad_signature,
    }
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        for csr in cases.values():
            assert await client.call("SignCertificate", {"csr": csr}) == {"status": "Rejected"}
        # A good one from the same charge point is accepted; the chain follows.
        client.answers["CertificateSigned"] = {"status": "Rejected"}
        assert await client.call("SignCertificate", {"csr": csr_pem(rsa_key, cp_id)}) == {
            "status": "Accepted"
        }
        chain = await client.wait_for_call("CertificateSigned")
    leaf = x509.load_pem_x509_certificates(chain["certificateChain"].encode())[0]
    assert leaf.public_key() == rsa_key.public_key()

    events = (
        await api.get(f"/charge-points/{cp_id}/events", params={"action": "SignCertificate"})
    ).json()["items"][::-1]
    assert [e["payload"]["status"] for e in events] == ["Rejected"] * 4 + ["Accepted"]
    for (reason, csr), event in zip(cases.items(), events, strict=False):
        assert reason in event["payload"]["reason"] and event["payload"]["csr"] == csr

    async def answered() -> dict | None:  # type: ignore[type-arg]
        items = (await api.get(f"/charge-points/{cp_id}/certificates")).json()["items"]
        return items[0] if items and items[0]["status"] != "Sending" else None

    assert (await wait_for(answered))["status"] == "Rejected"
    assert server.log().count(f"[{cp_id}] SignCertificate rejected") == 4


async def test_ca_certificates_are_installed_listed_and_deleted(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    ca_pem = (await api.get("/ca")).json()["certificate"]
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    simulated = await connected_simulator(server, cp_id)
    path = f"/charge-points/{cp_id}/certificates"
    try:
        refreshed = await api.post(f"{path}/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["answers"] == {
            ROOT: {"status": "NotFound"},
            "ManufacturerRootCertificate": {"status": "NotFound"},
        }
        bad = await api.post(
            f"{path}/install", json={"certificateType": ROOT, "certificate": "nonsense"}
        )
        assert bad.status_code == 422 and "PEM" in bad.json()["detail"]
        installed = await api.post(
            f"{path}/install", json={"certificateType": ROOT, "certificate": ca_pem}
        )
        assert installed.json() == {"status": "Accepted"}
        assert simulated.certificates.installed[ROOT] == [ca]
        expected = {
            "certificateType": ROOT,
            "certificateHashData": certificate_hash_data(ca),
            "source": "Installed",
        }
        listed = (await api.get(path)).json()["installed"]
        assert [{k: v for k, v in row.items() if k != "updatedAt"} for row in listed] == [expected]

        refreshed = (await api.post(f"{path}/refresh", json={"certificateType": ROOT})).json()
        assert refreshed["answers"][ROOT] == {
            "status": "Accepted",
            "certificateHashData": [certificate_hash_data(ca)],
        }
        assert [row["source"] for row in refreshed["installed"]] == ["Reported"]

        missing = await api.delete(f"{path}/installed/abcdef")
        assert missing.status_code == 404 and "refresh" in missing.json()["detail"]
        serial = certificate_hash_data(ca)["serialNumber"]
        deleted = await api.delete(f"{path}/installed/{serial.upper()}")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() == {"status": "Accepted"}
        assert simulated.certificates.installed[ROOT] == []
        assert (await api.get(path)).json()["installed"] == []
        received = simulated.received
        assert ("DeleteCertificate", {"certificateHashData": certificate_hash_data(ca)}) in received
    finally:
        await simulated.close()
    actions = [
        e["action"] for e in (await api.get(f"/charge-points/{cp_id}/events")).json()["items"]
    ]
    assert actions == ["DeleteCertificate", "InstallCertificate"]
    audit = (await api.get("/audit-log", params={"limit": 20})).json()["items"]
    summaries = [entry["summary"] for entry in audit if entry["target"] == cp_id]
    assert any("(InstallCertificate)" in summary for summary in summaries)
    assert any("(DeleteCertificate)" in summary for summary in summaries)


async def test_commands_need_a_connected_charge_point(api: httpx.AsyncClient, cp_id: str) -> None:
    offline = await api.post(f"/charge-points/{cp_id}/certificates/renew")
    assert offline.status_code == 409
    unknown = await api.get("/charge-points/NO-SUCH-CP/certificates")
    assert unknown.status_code == 404


async def test_a_certificate_near_expiry_is_renewed(server_factory, backend: str) -> None:  # type: ignore[no-untyped-def]
    server: Server = await server_factory(
        "--certificate-validity-days",
        "3",
        "--certificate-renew-days",
        "2",
        "--sweep-interval",
        "0.2",
        "--ca-organization",
        "ACME CPO",
    )
    cp_id = unique()
    async with api_client(server) as api:
        await api.post("/charge-points", json={"id": cp_id})
        simulated = await connected_simulator(server, cp_id, organization="ACME CPO")
        try:
            await api.post(f"/charge-points/{cp_id}/certificates/renew")
            await simulated.wait_until(lambda: simulated.certificates.certificate is not None, 10)
            first = simulated.certificates.certificate
            assert first is not None

            async def status_of_newest() -> str | None:
                items = (await api.get(f"/charge-points/{cp_id}/certificates")).json()["items"]
                return items[0]["status"] if items and items[0]["status"] != "Sending" else None

            assert await wait_for(status_of_newest) == "Accepted"
            # Fresh, it is not due; two days later it is (the clock moved in the database).
            assert len([a for a, _ in simulated.received if a == "ExtendedTriggerMessage"]) == 1
            db = Database(server.database_url)
            try:
                async with db.sessions.begin() as session:
                    now = datetime.now(UTC)
                    await session.execute(
                        update(IssuedCertificate)
                        .where(IssuedCertificate.charge_point_id == cp_id)
                        .values(
                            not_before=now - timedelta(days=2), not_after=now + timedelta(days=1)
                        )
                    )
            finally:
                await db.dispose()
            await simulated.wait_for_received("ExtendedTriggerMessage", count=2, timeout=10)
            await simulated.wait_until(lambda: simulated.certificates.certificate != first, 10)
        finally:
            await simulated.close()
        listed = (await api.get(f"/charge-points/{cp_id}/certificates")).json()
        assert listed["total"] == 2
        assert listed["items"][1]["renewalRequestedAt"] is not None
        assert listed["items"][0]["subject"] == f"CN={cp_id},O=ACME CPO"
    assert len([a for a, _ in simulated.received if a == "ExtendedTriggerMessage"]) == 2


async def test_the_issued_certificate_opens_a_security_profile_3_connection(
    server_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The operator's CA (--ca-cert/--ca-key) is also the --tls-client-ca: a charge point
    on profile 2 gets its certificate, and connects with it once moved to profile 3."""
    pki = make_pki(tmp_path, "unused")
    server: Server = await server_factory(
        "--tls-cert",
        str(pki["server_cert"]),
        "--tls-key",
        str(pki["server_key"]),
        "--tls-client-ca",
        str(pki["ca"]),
        "--ca-cert",
        str(pki["ca"]),
        "--ca-key",
        str(tmp_path / "ca.key"),
    )
    cp_id = unique()
    trust = ssl.create_default_context(cafile=str(pki["ca"]))
    base = f"https://127.0.0.1:{server.port}/api/v1"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, verify=trust) as api:
        created = await api.post(
            "/charge-points", json={"id": cp_id, "password": "secret-123", "securityProfile": 2}
        )
        assert created.status_code == 201, created.text
        simulated = SimulatedChargePoint(
            f"wss://127.0.0.1:{server.port}/ocpp",
            cp_id,
            password="secret-123",
            ssl_context=trust,
            follow_up_delay=0.01,
        )
        await simulated.connect()
        try:
            await simulated.boot_until_accepted()
            assert (await api.post(f"/charge-points/{cp_id}/certificates/renew")).status_code == 200
            await simulated.wait_until(lambda: simulated.ssl_context is not trust, 10)
            leaf, root = simulated.certificates.chain
            assert root.subject.rfc4514_string() == "CN=Ampyre Test CA"
            # The CA ends in a day: so does the certificate.
            assert leaf.not_valid_after_utc == root.not_valid_after_utc
            patched = await api.patch(f"/charge-points/{cp_id}", json={"securityProfile": 3})
            assert patched.status_code == 200, patched.text
            await simulated.close()
            await simulated.connect()
            assert (await simulated.boot()).status.value == "Accepted"
            assert simulated.protocol_errors == [] and simulated.failures == []
        finally:
            await simulated.close()
        assert (await api.get("/ca")).json()["certificate"] == pki["ca"].read_text()
