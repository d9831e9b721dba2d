-- When logward last asked CloudWatch for a query's status without a client
-- asking (the background sweep, or a start that found the tenant's cap
-- reached). Abandoned queries stop counting once CloudWatch reports them
-- finished; the column keeps instances from asking about the same query at
-- once and bounds how often any one query is asked about.
alter table insights_queries add column checked_at timestamptz;

create index insights_queries_open on insights_queries (started_at) where finished_at is null;
