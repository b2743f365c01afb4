"""charge point certificates: issued by the CSMS CA, and CA certificates installed

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

# The lead re-chains the helpers' migrations at merge (0010 is another helper's).
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = ampyre.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "issued_certificates",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("not_before", _TIME(), nullable=False),
        sa.Column("not_after", _TIME(), nullable=False),
        sa.Column("issued_at", _TIME(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_at", _TIME(), nullable=True),
        sa.Column("renewal_requested_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_issued_certificates_cp", "issued_certificates", ["charge_point_id", "id"])
    op.create_index("ix_issued_certificates_not_after", "issued_certificates", ["not_after"])
    op.create_table(
        "installed_certificates",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("certificate_type", sa.String(length=32), nullable=False),
        sa.Column("hash_algorithm", sa.String(length=8), nullable=False),
        sa.Column("issuer_name_hash", sa.String(length=128), nullable=False),
        sa.Column("issuer_key_hash", sa.String(length=128), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "charge_point_id",
            "certificate_type",
            "hash_algorithm",
            "issuer_name_hash",
            "issuer_key_hash",
            "serial_number",
            name="uq_installed_certificates",
        ),
    )


def downgrade() -> None:
    op.drop_table("installed_certificates")
    op.drop_index("ix_issued_certificates_not_after", table_name="issued_certificates")
    op.drop_index("ix_issued_certificates_cp", table_name="issued_certificates")
    op.drop_table("issued_certificates")
