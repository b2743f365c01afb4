"""`ampyre ca`: the certificate authority that signs charge point certificates."""

from __future__ import annotations

import click
from cryptography.hazmat.primitives import hashes

from ampyre.cli.options import setting_option
from ampyre.services.certificates import CertificateAuthority


@click.group("ca")
def ca() -> None:
    """The CA that signs charge point certificates (SignCertificate)."""


@ca.command("init")
@setting_option("data_dir")
@setting_option("ca_organization")
def init(data_dir: str, ca_organization: str) -> None:
    """Create the CA in DATA_DIR/ca (a serving server creates it on first use), or show
    the one there. Prints the CA certificate's public details; the key stays in its
    owner-only file."""
    authority = CertificateAuthority(data_dir, organization=ca_organization, validity_days=1)
    try:
        certificate, created = authority.init()
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"CA in {authority.directory}: {exc}") from None
    click.echo(f"{'Created' if created else 'Existing'} CA in {authority.directory}")
    click.echo(f"  certificate: {authority.cert_path}")
    click.echo(f"  key:         {authority.key_path} (owner-only)")
    click.echo(f"  subject:     {certificate.subject.rfc4514_string()}")
    click.echo(f"  valid until: {certificate.not_valid_after_utc.isoformat()}")
    click.echo(f"  SHA-256:     {certificate.fingerprint(hashes.SHA256()).hex()}")


COMMANDS = [ca]
