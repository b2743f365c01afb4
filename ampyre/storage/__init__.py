"""Storage: SQLAlchemy models, the database engine and Alembic migrations."""
