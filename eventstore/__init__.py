"""The append-only event log on PostgreSQL, its migrations and the read models projected from it."""
