"""The synthetic raw-data generator: `generate()` and `GenerateResult` (from `api`) are its public API.

- `api`: generate() creates the raw tables and loads them with COPY; its arguments and result.

- `rand`: counter-based hashing and seeded numpy Generators (determinism per entity).
- `clock`: instants as int64 microseconds since 2000-01-01 UTC (PostgreSQL's binary epoch).
- `world`: users, channels and videos with their whole lifecycle, independent of any window.
- `entities`: rows of the state tables (users, channels, videos, generation_jobs) at an instant.
- `facts`: the time-series tables (polls, costs, revenue, API calls) for one ingestion window.
- `pgcopy`: binary and CSV COPY encoders.
- `store`: the raw schema, the generator's state table and the loads.
"""

from ytempire_ops.generator.api import (
    GENERATOR_VERSION,
    META_SCHEMA,
    RAW_TABLES,
    GenerateResult,
    generate,
)

__all__ = ["GENERATOR_VERSION", "META_SCHEMA", "RAW_TABLES", "GenerateResult", "generate"]
