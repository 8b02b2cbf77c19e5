"""Temporal activities: the only place where workflows touch PostgreSQL and departments' systems."""
