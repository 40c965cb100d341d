-- The raw source tables the project reads; docs/contract/raw_tables.md is generated from this file.
-- {schema} is replaced by the quoted raw schema name before execution.
create schema if not exists {schema};

create table if not exists {schema}.users (
    user_id uuid primary key,
    email text,
    subscription_tier text,
    target_monthly_revenue_usd numeric(12, 2) default 10000.00,
    is_active boolean,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists {schema}.channels (
    channel_id varchar(50) primary key,
    user_id uuid,
    channel_name text,
    channel_handle text,
    niche text,
    sub_niche text,
    monetization_status text,
    status text,
    created_at timestamptz,
    updated_at timestamptz
);

create table if not exists {schema}.videos (
    video_id varchar(50) primary key,
    youtube_video_id varchar(20),
    channel_id varchar(50),
    title text,
    description text,
    tags text[],
    duration_seconds integer,
    video_category text,
    generation_method text,
    status text,
    published_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    deleted_at timestamptz
);

create table if not exists {schema}.video_metrics (
    video_id varchar(50),
    captured_at timestamptz,
    views bigint,
    likes bigint,
    dislikes bigint,
    comments bigint,
    shares bigint,
    watch_time_minutes numeric(14, 2),
    average_view_duration_seconds numeric(10, 2),
    impressions bigint,
    click_through_rate numeric(6, 4),
    subscribers_gained bigint,
    subscribers_lost bigint,
    estimated_revenue_cents numeric(14, 4),
    ingested_at timestamptz
);

create table if not exists {schema}.video_costs (
    cost_id uuid,
    video_id varchar(50),
    channel_id varchar(50),
    cost_category text,
    cost_subcategory text,
    quantity numeric(16, 4),
    unit text,
    total_cost_cents numeric(14, 4),
    incurred_at timestamptz,
    ingested_at timestamptz
);

create table if not exists {schema}.video_revenue (
    video_id varchar(50),
    channel_id varchar(50),
    revenue_date date,
    ad_revenue_cents numeric(14, 4),
    sponsorship_revenue_cents numeric(14, 4),
    affiliate_revenue_cents numeric(14, 4),
    membership_revenue_cents numeric(14, 4),
    super_chat_revenue_cents numeric(14, 4),
    reported_at timestamptz
);

create table if not exists {schema}.generation_jobs (
    job_id uuid primary key,
    video_id varchar(50),
    channel_id varchar(50),
    status text,
    queued_at timestamptz,
    started_at timestamptz,
    completed_at timestamptz,
    retry_count integer,
    error_message text,
    updated_at timestamptz
);

create table if not exists {schema}.api_quota_usage (
    call_id uuid primary key,
    api_account text,
    api_name text,
    endpoint text,
    quota_units integer,
    status_code integer,
    called_at timestamptz
);

-- Indexes the incremental loads and the generator's --append-minutes rely on.
create index if not exists video_metrics_ingested_at_idx on {schema}.video_metrics (ingested_at);
create index if not exists video_metrics_video_captured_idx on {schema}.video_metrics (video_id, captured_at);
create index if not exists video_costs_ingested_at_idx on {schema}.video_costs (ingested_at);
create index if not exists video_revenue_reported_at_idx on {schema}.video_revenue (reported_at);
create index if not exists api_quota_usage_called_at_idx on {schema}.api_quota_usage (called_at);
