"""Alembic environment: runs on the connection Ampyre hands it (see Database.migrate)."""

from __future__ import annotations

from alembic import context

from ampyre.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a bare `alembic` call
    raise RuntimeError("Run migrations through `ampyre migrate` or `ampyre serve`.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
