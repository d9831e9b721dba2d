-- API keys: per-tenant keys for customers' scripts, and admin keys for operators.
-- Only a SHA-256 of each key's secret part is stored; the key itself is shown
-- once, when it is created.

create table api_keys (
    -- 16 random [a-z0-9]; the visible part of the key (lwk_<id>_<secret>)
    id text primary key check (id ~ '^[a-z0-9]{16}$'),
    tenant_id text not null references tenants (id) on delete cascade,
    name text not null check (char_length(name) between 1 and 200),
    -- sha256(secret)
    secret_hash bytea not null check (octet_length(secret_hash) = 32),
    -- IAM action names the key is narrowed to; null means whatever the tenant
    -- policy allows (a key never widens the policy)
    actions text[],
    created_by text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    -- updated in batches, not on every request
    last_used_at timestamptz,
    revoked_at timestamptz
);

create index api_keys_tenant on api_keys (tenant_id, created_at, id);

create table admin_keys (
    -- the visible part of the key (lwa_<id>_<secret>)
    id text primary key check (id ~ '^[a-z0-9]{16}$'),
    name text not null check (char_length(name) between 1 and 200),
    secret_hash bytea not null check (octet_length(secret_hash) = 32),
    created_by text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- Instances keep keys in memory; tell them which key changed. Updates of
-- last_used_at alone do not notify.
create function notify_key_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('logward_key_changed',
        tg_argv[0] || ':' || case when tg_op = 'DELETE' then old.id else new.id end);
    return null;
end;
$$;

create trigger api_keys_notify
    after insert or delete or update of revoked_at, expires_at, actions, secret_hash, tenant_id
    on api_keys for each row execute function notify_key_change('tenant');

create trigger admin_keys_notify
    after insert or delete or update of revoked_at, expires_at, secret_hash
    on admin_keys for each row execute function notify_key_change('admin');
