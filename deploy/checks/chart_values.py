"""The chart's values: what values.schema.json and the templates refuse, that
the schema covers exactly the variables logward reads with logward's own
bounds, and that the checksum annotations roll pods on the changes that need
it and only on those."""

from __future__ import annotations

import copy
import json
from typing import Any

import helm_python

import helm_offline as h
from common import CHART, CheckFailed, Runner, expect, logward_variables, variable_ranges

# Variables the chart sets itself (the listen address, mounted files) or
# takes from the Secret; every other one is a `config` key.
CHART_SET = {"LOGWARD_LISTEN", "LOGWARD_TLS_CERT", "LOGWARD_TLS_KEY", "LOGWARD_JWT_PUBLIC_KEY_FILE"}
SECRET_KEYS = {
    "databaseUrl": "LOGWARD_DATABASE_URL",
    "tokenKey": "LOGWARD_TOKEN_KEY",
    "jwtHs256Secret": "LOGWARD_JWT_HS256_SECRET",
    "adminToken": "LOGWARD_ADMIN_TOKEN",
    "metricsToken": "LOGWARD_METRICS_TOKEN",
    "secretsKey": "LOGWARD_SECRETS_KEY",
    "secretsKeyPrevious": "LOGWARD_SECRETS_KEY_PREVIOUS",
}

# (what, override of ci/minimal-values.yaml, text Helm's refusal must contain)
SCHEMA_REFUSES = [
    ("a setting above logward's maximum", {"config": {"tail_recheck_secs": 11}}, "/config/tail_recheck_secs': maximum"),
    ("a setting below logward's minimum", {"config": {"rate_limit_per_sec": 0}}, "/config/rate_limit_per_sec': minimum"),
    ("a number given as text", {"config": {"audit_buffer": "10000"}}, "/config/audit_buffer': got string, want integer"),
    ("an unknown log format", {"config": {"log_format": "yaml"}}, "/config/log_format': value must be one of"),
    ("a misspelt setting", {"config": {"jwt_isuer": "x"}}, "additional properties 'jwt_isuer' not allowed"),
    ("the listen address, which the probes depend on", {"config": {"listen": "0.0.0.0:9000"}}, "additional properties 'listen' not allowed"),
    ("a secret among the plain settings", {"config": {"token_key": "k" * 40}}, "additional properties 'token_key' not allowed"),
    ("a short paging-token key", {"secrets": {"tokenKey": "short"}}, "/secrets/tokenKey'"),
    ("a database URL that is not postgres://", {"secrets": {"databaseUrl": "mysql://db/x"}}, "/secrets/databaseUrl'"),
    ("an account id that is not 12 digits", {"config": {"aws_account_id": "12345"}}, "/config/aws_account_id'"),
    ("a JWKS URL over plain http", {"config": {"jwt_jwks_url": "http://id.example.com/jwks"}}, "/config/jwt_jwks_url'"),
    (
        "a private key where the JWT public key goes (it would sit in a ConfigMap)",
        {"jwt": {"publicKey": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"}},
        "/jwt/publicKey'",
    ),
    ("a replica count as text", {"replicaCount": "2"}, "/replicaCount': got string, want integer"),
    ("a readiness timeout shorter than logward's database check", {"probes": {"readiness": {"timeoutSeconds": 2}}}, "/probes/readiness/timeoutSeconds': minimum"),
    ("root as the user", {"podSecurityContext": {"runAsUser": 0}}, "/podSecurityContext/runAsUser': minimum"),
    ("a LOGWARD_ variable through extraEnv", {"extraEnv": [{"name": "LOGWARD_ADMIN_TOKEN", "value": "x"}]}, "/extraEnv/0/name'"),
    ("an IRSA role that is not a role ARN", {"serviceAccount": {"irsaRoleArn": "logward"}}, "/serviceAccount/irsaRoleArn'"),
    ("an unknown top-level key", {"replicas": 3}, "additional properties 'replicas' not allowed"),
]

# (what, override, text of the template's refusal): rules JSON schema cannot say.
TEMPLATE_REFUSES = [
    ("no paging-token key", {"secrets": {"tokenKey": ""}}, "secrets.tokenKey is required"),
    ("no database URL", {"secrets": {"databaseUrl": ""}}, "secrets.databaseUrl is required"),
    ("a ServiceMonitor without a metrics token", {"serviceMonitor": {"enabled": True}}, "needs secrets.metricsToken"),
    (
        "a termination grace within logward's shutdown grace",
        {"lifecycle": {"terminationGracePeriodSeconds": 35}},
        "must exceed lifecycle.preStopSleepSeconds plus config.shutdown_grace_secs (35)",
    ),
    ("an HPA whose maximum is below its minimum", {"autoscaling": {"enabled": True, "minReplicas": 4, "maxReplicas": 2}}, "maxReplicas must not be below"),
]


def merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def minimal() -> dict[str, Any]:
    return h.load_values(CHART / "ci" / "minimal-values.yaml")


def register(run: Runner) -> None:
    run.check("chart: every ci/ values file passes the schema", every_ci_file_passes)
    for what, override, fragment in SCHEMA_REFUSES:
        run.check(f"chart: the schema refuses {what}", lambda o=override, f=fragment: schema_refuses(o, f))
    for what, override, fragment in TEMPLATE_REFUSES:
        run.check(f"chart: rendering refuses {what}", lambda o=override, f=fragment: render_refuses(o, f))
    run.check("chart: the schema's settings are exactly the variables logward reads", schema_covers_variables)
    run.check("chart: the schema's bounds are logward's own", schema_bounds_match_logward)
    run.check("chart: checksum annotations change with the config and the secret, and only with them", checksums)
    run.check("chart: numbers reach the ConfigMap as logward parses them", numbers_render_plainly)


def every_ci_file_passes() -> None:
    for path in h.ci_values_files():
        try:
            h.chart().validate_schema(h.load_values(path))
        except helm_python.HelmValuesError as e:
            raise CheckFailed(f"ci/{path.name}: {e}") from None


def _refusal(action, fragment: str) -> None:
    try:
        action()
    except (helm_python.HelmValuesError, helm_python.HelmRenderError) as e:
        expect(fragment in str(e), f"refused, but not for the expected reason ({fragment!r}): {e}")
    else:
        raise CheckFailed(f"accepted; expected a refusal containing {fragment!r}")


def schema_refuses(override: dict[str, Any], fragment: str) -> None:
    values = merged(minimal(), override)
    # The schema alone, and Helm's install path (render validates first).
    _refusal(lambda: h.chart().validate_schema(values), fragment)
    _refusal(lambda: h.render(values), fragment)


def render_refuses(override: dict[str, Any], fragment: str) -> None:
    values = merged(minimal(), override)
    _refusal(lambda: h.render(values), fragment)


def _schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text())


def schema_covers_variables() -> None:
    schema = _schema()
    config_keys = {"LOGWARD_" + k.upper() for k in schema["properties"]["config"]["properties"]}
    secret_props = set(schema["properties"]["secrets"]["properties"])
    expect(secret_props == set(SECRET_KEYS), f"secrets keys {sorted(secret_props)} are not {sorted(SECRET_KEYS)}")
    covered = config_keys | CHART_SET | set(SECRET_KEYS.values())
    overlap = config_keys & (CHART_SET | set(SECRET_KEYS.values()))
    variables = logward_variables()
    expect(not overlap, f"settable both in config and elsewhere: {sorted(overlap)}")
    expect(not (variables - covered), f"variables the chart cannot set: {sorted(variables - covered)}")
    expect(not (covered - variables), f"chart settings logward does not read: {sorted(covered - variables)}")


def schema_bounds_match_logward() -> None:
    props = _schema()["properties"]["config"]["properties"]
    wrong = []
    for var, (lo, hi) in variable_ranges().items():
        prop = props.get(var.removeprefix("LOGWARD_").lower(), {})
        if (prop.get("type"), prop.get("minimum"), prop.get("maximum")) != ("integer", lo, hi):
            wrong.append(f"{var}: logward takes {lo}..{hi}, schema has {prop}")
    expect(not wrong, "\n      ".join(wrong))


def _pod_annotations(values: dict[str, Any]) -> dict[str, str]:
    dep = h.one(h.manifests(h.render(values)), "Deployment")
    return dep["spec"]["template"]["metadata"]["annotations"]


def checksums() -> None:
    base = _pod_annotations(minimal())
    new_secret = _pod_annotations(merged(minimal(), {"secrets": {"tokenKey": "another-token-key-0123456789abcdef0123"}}))
    new_config = _pod_annotations(merged(minimal(), {"config": {"rate_limit_per_sec": 7}}))
    unrelated = _pod_annotations(merged(minimal(), {"replicaCount": 5}))
    expect(new_secret["checksum/secret"] != base["checksum/secret"], "a new secret does not roll the pods")
    expect(new_secret["checksum/config"] == base["checksum/config"], "a new secret changes checksum/config")
    expect(new_config["checksum/config"] != base["checksum/config"], "a config change does not roll the pods")
    expect(new_config["checksum/secret"] == base["checksum/secret"], "a config change changes checksum/secret")
    expect(unrelated == base, "scaling changes the checksums (and would restart every pod)")


def numbers_render_plainly() -> None:
    values = merged(minimal(), {"config": {"audit_buffer": 10_000_000, "jwt_leeway_secs": 0}})
    docs = h.manifests(h.render(values))
    data = next(d["data"] for d in docs if d["kind"] == "ConfigMap" and "LOGWARD_LISTEN" in d.get("data", {}))
    expect(data.get("LOGWARD_AUDIT_BUFFER") == "10000000", f"LOGWARD_AUDIT_BUFFER is {data.get('LOGWARD_AUDIT_BUFFER')!r}")
    expect(data.get("LOGWARD_JWT_LEEWAY_SECS") == "0", f"LOGWARD_JWT_LEEWAY_SECS is {data.get('LOGWARD_JWT_LEEWAY_SECS')!r}")
