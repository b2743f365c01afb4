"""reservation id sequence and trigger requests

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reservation_id_sequence",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "trigger_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("requested_message", sa.String(length=32), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_description", sa.Text(), nullable=True),
        sa.Column("requested_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("answered_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("expected_by", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("arrived_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trigger_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trigger_requests_charge_point", ["charge_point_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trigger_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_trigger_requests_charge_point")
    op.drop_table("trigger_requests")
    op.drop_table("reservation_id_sequence")
