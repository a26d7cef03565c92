"""Storage: ORM tables, repositories (the only place that writes SQL) and Alembic migrations."""
