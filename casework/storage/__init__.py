"""Storage: where Casework's rows live and how the database is made, upgraded and copied.

It owns the engine and its connection settings (``db``: SQLite in WAL with ``BEGIN IMMEDIATE``
for writes, or PostgreSQL), every table (``models``), the alembic migrations that create and
upgrade them (``schema`` and ``migrations/``), the monthly partitions of the events table on
PostgreSQL (``partitions``) and consistent backups and restores (``backup``).  It knows tables
and transactions, not the rules of a case: the other concepts build on it, it builds on none of
them except to encrypt rows during an upgrade and to hold the scheduler's lock while it
repartitions.
"""
