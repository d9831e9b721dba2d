-- Logs Insights query ids are account-wide in CloudWatch: whoever knows one
-- can read its results. The gateway records which tenant started each query
-- and answers 404 to everyone else.

create table insights_queries (
    query_id text primary key,
    tenant_id text not null references tenants (id) on delete cascade,
    -- the log groups the query reads; re-authorized on every read
    log_groups text[] not null,
    -- JWT subject or key id that started it
    started_by text not null,
    started_at timestamptz not null default now(),
    -- set once CloudWatch reports a final status, or the query is stopped
    finished_at timestamptz
);

-- Counting a tenant's running queries for the concurrency cap.
create index insights_queries_running on insights_queries (tenant_id) where finished_at is null;
