"""Alembic revisions, oldest first by their four-digit id (``alembic revision --rev-id 0004 -m "..."``)."""
