-- Access keys: AWS-style credentials (access key id + secret access key) that
-- tenants' AWS SDKs and CLIs sign requests with (SigV4). Verifying a signature
-- needs the secret itself, so it is stored sealed (AES-256-SIV) under the
-- server key LOGWARD_SECRETS_KEY, never in clear: a dump of this table alone
-- yields no working credential. The secret is shown once, at creation.

create table access_keys (
    -- the access key id clients sign with: LWAK + 16 [A-Z0-9]
    id text primary key check (id ~ '^LWAK[A-Z0-9]{16}$'),
    tenant_id text not null references tenants (id) on delete cascade,
    name text not null check (char_length(name) between 1 and 200),
    -- the secret access key sealed under LOGWARD_SECRETS_KEY with the key id
    -- as associated data: format byte, server-key fingerprint (8 bytes), SIV
    -- (16 bytes), ciphertext (see src/auth/secrets.rs)
    secret_sealed bytea not null check (octet_length(secret_sealed) between 26 and 256),
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

create index access_keys_tenant on access_keys (tenant_id, created_at, id);

-- Instances keep usable access keys in memory; tell them which one changed
-- (payload access:<id>). Re-sealing under a new server key notifies too.
create trigger access_keys_notify
    after insert or delete or update of revoked_at, expires_at, actions, secret_sealed, tenant_id
    on access_keys for each row execute function notify_key_change('access');
