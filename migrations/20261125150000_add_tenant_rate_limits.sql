-- Per-tenant overrides of the default request rate limit (token bucket);
-- null means the configured default applies.

alter table tenants
    -- sustained requests per second
    add column rate_limit_per_sec integer check (rate_limit_per_sec between 1 and 100000),
    -- requests that may arrive at once above the sustained rate
    add column rate_limit_burst integer check (rate_limit_burst between 1 and 100000),
    add constraint tenants_rate_limit_both check ((rate_limit_per_sec is null) = (rate_limit_burst is null));
