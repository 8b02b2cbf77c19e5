"""Use cases: one module per thing a caller asks jiehu to do, shared by the API, the CLI and the workers
(cosmicpython's service layer).

A service takes one input dataclass and the clients it needs, and answers with domain state or raises
a domain error type (`services/errors.py`, mapped to HTTP once in `api/errors.py`). It may not parse a
channel's format (JSON bodies, GeoReport forms: the channels do), hold SQL (the read models' queries
live in `eventstore/`) or know about HTTP.
"""
