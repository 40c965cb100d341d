-- fact_video_performance | license timescale | given state
select set_chunk_time_interval('analytics.fact_video_performance', interval '1 day');
alter table analytics.fact_video_performance set (timescaledb.compress, timescaledb.compress_segmentby = 'channel_id', timescaledb.compress_orderby = 'captured_at desc');
select remove_compression_policy('analytics.fact_video_performance', if_exists => true);
select add_compression_policy('analytics.fact_video_performance', compress_after => interval '7 days');
select remove_retention_policy('analytics.fact_video_performance', if_exists => true);
select add_retention_policy('analytics.fact_video_performance', drop_after => interval '90 days');
