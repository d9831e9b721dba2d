-- Live logward instances, by heartbeat: the account's CloudWatch quota is
-- shared among them, each taking its part, without a coordinating service.
-- Instances serving another account or region (sharing this database) do
-- not share that quota: `scope` (the ARN prefix they serve) tells them apart.
create table instances (
    id text primary key,
    scope text not null,
    seen_at timestamptz not null default now()
);

create index instances_scope on instances (scope, seen_at);
