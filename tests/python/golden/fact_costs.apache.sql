-- fact_costs | license apache | fresh table
select create_hypertable('analytics.fact_costs', by_range('incurred_at', interval '7 days'), if_not_exists => true, migrate_data => true);
-- skipped: compression (segmentby channel_id, orderby incurred_at desc, after 7 days)
