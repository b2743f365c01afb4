"""firmware management: firmware images, update attempts and rollouts, diagnostics requests,
their status notifications and the diagnostics files received

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ampyre.storage.types

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diagnostics_files",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("diagnostics_request_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("received_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("diagnostics_request_id", "filename", name="uq_diagnostics_files_name"),
    )
    with op.batch_alter_table("diagnostics_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnostics_files_charge_point", ["charge_point_id", "id"], unique=False
        )

    op.create_table(
        "diagnostics_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("upload_token", sa.String(length=64), nullable=True),
        sa.Column("ftp_username", sa.String(length=64), nullable=True),
        sa.Column("ftp_password_hash", sa.String(length=64), nullable=True),
        sa.Column("start_time", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("stop_time", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("retry_interval", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("upload_expires_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ftp_username", name="uq_diagnostics_requests_ftp_username"),
        sa.UniqueConstraint("upload_token", name="uq_diagnostics_requests_upload_token"),
    )
    with op.batch_alter_table("diagnostics_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnostics_requests_charge_point", ["charge_point_id", "id"], unique=False
        )

    op.create_table(
        "diagnostics_status_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("diagnostics_request_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("received_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("diagnostics_status_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_diagnostics_status_events_cp", ["charge_point_id", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_diagnostics_status_events_request", ["diagnostics_request_id"], unique=False
        )

    op.create_table(
        "firmware_images",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("uploaded_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token", name="uq_firmware_images_token"),
    )
    op.create_table(
        "firmware_rollouts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("firmware_image_id", sa.BigInteger(), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("retrieve_date", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("retry_interval", sa.Integer(), nullable=True),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("created_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "firmware_status_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("firmware_update_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("received_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("firmware_status_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_firmware_status_events_cp", ["charge_point_id", "received_at"], unique=False
        )
        batch_op.create_index(
            "ix_firmware_status_events_update", ["firmware_update_id"], unique=False
        )

    op.create_table(
        "firmware_updates",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("charge_point_id", sa.String(length=255), nullable=False),
        sa.Column("firmware_image_id", sa.BigInteger(), nullable=True),
        sa.Column("rollout_id", sa.BigInteger(), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("retrieve_date", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("retry_interval", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", ampyre.storage.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", ampyre.storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("firmware_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_firmware_updates_charge_point", ["charge_point_id", "id"], unique=False
        )
        batch_op.create_index("ix_firmware_updates_rollout", ["rollout_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("firmware_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_firmware_updates_rollout")
        batch_op.drop_index("ix_firmware_updates_charge_point")

    op.drop_table("firmware_updates")
    with op.batch_alter_table("firmware_status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_firmware_status_events_update")
        batch_op.drop_index("ix_firmware_status_events_cp")

    op.drop_table("firmware_status_events")
    op.drop_table("firmware_rollouts")
    op.drop_table("firmware_images")
    with op.batch_alter_table("diagnostics_status_events", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnostics_status_events_request")
        batch_op.drop_index("ix_diagnostics_status_events_cp")

    op.drop_table("diagnostics_status_events")
    with op.batch_alter_table("diagnostics_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnostics_requests_charge_point")

    op.drop_table("diagnostics_requests")
    with op.batch_alter_table("diagnostics_files", schema=None) as batch_op:
        batch_op.drop_index("ix_diagnostics_files_charge_point")

    op.drop_table("diagnostics_files")
