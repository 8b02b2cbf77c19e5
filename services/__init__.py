"""Use cases that more than one entry point runs (cosmicpython's service layer): one module per use case.

A service takes one input dataclass and the clients it needs, and answers with domain state or raises
a domain error type (`services/errors.py`, mapped to HTTP once in `api/errors.py`). It may not parse a
channel's format (JSON bodies, GeoReport forms: the channels do), hold SQL (the read models' queries
live in `eventstore/`) or know about HTTP.
"""
