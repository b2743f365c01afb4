"""the OCPP message log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ocpp_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("time", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("message_type", sa.Integer(), nullable=True),
        sa.Column("unique_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=True),
        sa.Column("frame", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("answer_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ocpp_messages_cp_time", "ocpp_messages", ["charge_point_id", "time", "id"])
    op.create_index("ix_ocpp_messages_time", "ocpp_messages", ["time"])


def downgrade() -> None:
    op.drop_index("ix_ocpp_messages_time", table_name="ocpp_messages")
    op.drop_index("ix_ocpp_messages_cp_time", table_name="ocpp_messages")
    op.drop_table("ocpp_messages")
