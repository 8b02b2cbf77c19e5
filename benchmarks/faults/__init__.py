"""The fault suite (`jiehu faults`, issue 16 §1–§2): simulated cadres drive petitions through the REST API of
a scratch loopback stack while its parts are killed and restarted, then invariants over the log, the read
models, Temporal and the notifications are checked and printed (docs/reliability.md).

Modules: `processes` (the stack's child processes), `hub` (the notifications' receiver), `cadres` (the lives
and the journal of commands), `injectors` (the faults), `snapshot` (reading the stack afterwards),
`invariants` (the pure checks), `run` (the whole run and its figures).
"""
