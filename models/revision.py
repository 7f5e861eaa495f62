"""The schema revision this code needs, in a module that imports nothing.

Bumped with every migration; a test checks it equals Alembic's head. The
read-only commands check the database against it without importing Alembic,
and `due`'s direct SQLite path without importing SQLAlchemy.
"""

SCHEMA_REVISION = "0033"
