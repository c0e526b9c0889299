"""Alembic migration scripts (shipped inside the package so installers carry them)."""
