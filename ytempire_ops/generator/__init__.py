"""Building blocks of the synthetic raw-data generator (`ytempire_ops.generate` is the public API).

- `rand`: counter-based hashing and seeded numpy Generators (determinism per entity).
- `clock`: instants as int64 microseconds since 2000-01-01 UTC (PostgreSQL's binary epoch).
- `world`: users, channels and videos with their whole lifecycle, independent of any window.
- `entities`: rows of the state tables (users, channels, videos, generation_jobs) at an instant.
- `facts`: the time-series tables (polls, costs, revenue, API calls) for one ingestion window.
- `pgcopy`: binary and CSV COPY encoders.
- `store`: the raw schema, the generator's state table and the loads.
"""
