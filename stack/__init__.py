"""The parts a running jiehu is assembled from: the Temporal workers (petitions, departments,
notifications) and their schedules, and the embedded PostgreSQL and Temporal dev server that the dev
stack, the benchmarks and the tests start. Imported by the composition roots (`jiehu/`), the benchmarks
and the tests; imports every floor below it, and nothing imports it from below."""
