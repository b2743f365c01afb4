"""smart charging: remote-start TxProfiles held for their transaction, profile id sequences

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_start_charging_profiles",
        sa.Column("remote_start_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("created_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("remote_start_id"),
    )
    with op.batch_alter_table("remote_start_charging_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_start_charging_profiles_charge_point_id"),
            ["charge_point_id"],
            unique=False,
        )

    op.create_table(
        "charging_profile_id_sequences",
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charge_point_id"),
    )


def downgrade() -> None:
    op.drop_table("charging_profile_id_sequences")
    with op.batch_alter_table("remote_start_charging_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_start_charging_profiles_charge_point_id"))
    op.drop_table("remote_start_charging_profiles")
