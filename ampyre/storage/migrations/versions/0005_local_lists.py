"""local authorization lists: per charge point policy, versions and the entries it holds

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-24 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_lists",
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("parent_id_tag", sa.String(length=20), nullable=True),
        sa.Column("id_tags", sa.JSON(), nullable=True),
        sa.Column("local_auth_list_max_length", sa.Integer(), nullable=True),
        sa.Column("send_local_list_max_length", sa.Integer(), nullable=True),
        sa.Column("sent_version", sa.Integer(), nullable=True),
        sa.Column("accepted_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("attempted_version", sa.Integer(), nullable=True),
        sa.Column("entries_known", sa.Boolean(), nullable=False),
        sa.Column("entries_digest", sa.String(length=64), nullable=True),
        sa.Column("charge_point_version", sa.Integer(), nullable=True),
        sa.Column("charge_point_version_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("updated_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charge_point_id"),
    )
    op.create_table(
        "local_list_entries",
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("id_tag", sa.String(length=20), nullable=False),
        sa.Column("id_tag_info", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["charge_point_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charge_point_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("local_list_entries")
    op.drop_table("local_lists")
