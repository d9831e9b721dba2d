-- Core tables: tenants, their versioned policies, and the audit trail.

create table tenants (
    -- slug chosen by the operator; appears in policies as ${tenant}
    id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text not null check (char_length(name) between 1 and 200),
    status text not null default 'active' check (status in ('active', 'disabled')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table tenant_policies (
    tenant_id text not null references tenants (id) on delete cascade,
    -- 1, 2, 3, ... per tenant; the highest is the policy in force
    version integer not null check (version > 0),
    -- the document as the admin wrote it (validated before insert)
    document jsonb not null,
    -- who stored this version (admin principal)
    created_by text not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, version)
);

create table audit_events (
    id bigserial primary key,
    at timestamptz not null,
    -- 'data' for public API decisions, 'admin' for management changes
    kind text not null check (kind in ('data', 'admin')),
    -- no foreign key: the audit outlives deleted tenants
    tenant_id text,
    -- JWT subject, key id or admin identity; null when unauthenticated
    principal text,
    -- IAM action (logs:GetLogEvents) or admin operation (tenant.create)
    action text not null,
    -- resource ARN or admin object
    resource text,
    decision text not null check (decision in ('allow', 'deny')),
    -- why: allowed, explicit_deny, implicit_deny, unauthenticated, ...
    reason text not null,
    http_status smallint not null,
    latency_ms integer not null,
    request_id text,
    -- admin changes: before/after
    detail jsonb
);

create index audit_events_tenant_at on audit_events (tenant_id, at desc);
create index audit_events_at on audit_events (at);

-- Every instance listens on this channel and refreshes its in-memory view of
-- the changed tenant, so a change through any instance or the CLI applies
-- everywhere without polling.
create function notify_tenant_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('logward_tenant_changed',
        case when tg_op = 'DELETE' then old.id else new.id end);
    return null;
end;
$$;

create function notify_policy_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('logward_tenant_changed',
        case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end);
    return null;
end;
$$;

create trigger tenants_notify after insert or update or delete on tenants
    for each row execute function notify_tenant_change();

create trigger tenant_policies_notify after insert or update or delete on tenant_policies
    for each row execute function notify_policy_change();
