-- fact_costs | license timescale | fresh table
select create_hypertable('analytics.fact_costs', by_range('incurred_at', interval '7 days'), if_not_exists => true, migrate_data => true);
alter table analytics.fact_costs set (timescaledb.compress, timescaledb.compress_segmentby = 'channel_id', timescaledb.compress_orderby = 'incurred_at desc');
select add_compression_policy('analytics.fact_costs', compress_after => interval '7 days');
