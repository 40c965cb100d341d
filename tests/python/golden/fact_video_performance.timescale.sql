-- fact_video_performance | license timescale | fresh table
select create_hypertable('analytics.fact_video_performance', by_range('captured_at', interval '1 day'), if_not_exists => true, migrate_data => true);
alter table analytics.fact_video_performance set (timescaledb.compress, timescaledb.compress_segmentby = 'channel_id', timescaledb.compress_orderby = 'captured_at desc');
select add_compression_policy('analytics.fact_video_performance', compress_after => interval '7 days');
select add_retention_policy('analytics.fact_video_performance', drop_after => interval '90 days');
