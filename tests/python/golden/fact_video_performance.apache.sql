-- fact_video_performance | license apache | fresh table
select create_hypertable('analytics.fact_video_performance', by_range('captured_at', interval '1 day'), if_not_exists => true, migrate_data => true);
-- skipped: compression (segmentby channel_id, orderby captured_at desc, after 7 days)
-- skipped: the retention policy (drop_after 90 days; enforced by drop_chunks in `dbt run-operation timescaledb_enforce_retention`)
