-- Live logward instances, by heartbeat: the account's CloudWatch quota is
-- shared among them, each taking its part, without a coordinating service.
create table instances (
    id text primary key,
    seen_at timestamptz not null default now()
);
