"""The pure domain core of jiehu: petition state, commands, events, decide and evolve.

Nothing in this package does I/O, reads the clock or draws random numbers, so the workflow
sandbox, the projections and any audit replay can fold the same events to the same state.
"""
