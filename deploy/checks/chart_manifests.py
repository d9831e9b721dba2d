"""The chart as a cluster would get it: every ci/ values file rendered by Helm
for the oldest and the newest supported Kubernetes, with and without the
Prometheus Operator's API; strict lint; each object against Kubernetes' own
schema (kubernetes-validate, strict); and what the objects must do."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError

import helm_offline as h
from common import Runner, expect, logward_variables

SERVICE_MONITOR_SCHEMA = json.loads((Path(__file__).parent / "servicemonitor.schema.json").read_text())
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def register(run: Runner) -> None:
    for path in h.ci_values_files():
        values = h.load_values(path)
        for kube in h.KUBE_VERSIONS:
            run.check(f"chart: helm lint --strict ci/{path.name} (Kubernetes {kube})", lambda v=values, k=kube: lint(v, k))
            for crd in (False, True):
                apis = (h.SERVICE_MONITOR_API,) if crd else ()
                label = "with" if crd else "without"
                run.check(
                    f"chart: ci/{path.name} renders valid objects for Kubernetes {kube}, {label} the ServiceMonitor API",
                    lambda v=values, k=kube, a=apis: rendered_objects_are_valid(v, k, a),
                )
        run.check(f"chart: ci/{path.name} deploys a hardened gateway and its migration hook", lambda v=values: behaviour(v))


def lint(values: dict[str, Any], kube: str) -> None:
    report = h.lint(values, kube)
    # Severity 1 is information ("icon is recommended"); strict lint fails on
    # warnings (2) and errors (3), as `helm lint --strict` does.
    findings = [m for m in report["messages"] if m["severity"] >= 2]
    expect(not report["errors"] and not findings, f"helm lint --strict: {report['errors'] or findings}")


def rendered_objects_are_valid(values: dict[str, Any], kube: str, apis: tuple[str, ...]) -> None:
    docs = h.manifests(h.render(values, kube_version=kube, api_versions=apis))
    expect(docs, "nothing rendered")
    problems = []
    for doc in docs:
        obj = h.without_source(doc)
        where = f"{doc['_template']} {obj['kind']}/{obj['metadata'].get('name')}"
        if obj["kind"] == "ServiceMonitor":
            # A CRD: not in Kubernetes' schemas; checked against the fields
            # of monitoring.coreos.com/v1 the chart uses.
            errors = sorted(jsonschema.Draft202012Validator(SERVICE_MONITOR_SCHEMA).iter_errors(obj), key=str)
            problems += [f"{where}: {e.json_path}: {e.message}" for e in errors]
            continue
        try:
            kubernetes_validate.validate(obj, kube, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            problems.append(f"{where}: {path}: {e.message}")
        except SchemaNotFoundError as e:
            problems.append(f"{where}: {e.message}")
    expect(not problems, "kubernetes-validate --strict:\n      " + "\n      ".join(problems))


def _hardened(container: dict[str, Any], where: str) -> None:
    sc = container.get("securityContext", {})
    expect(sc.get("readOnlyRootFilesystem") is True, f"{where}: root filesystem is writable")
    expect(sc.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation allowed")
    expect(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities not all dropped")
    expect(not sc.get("privileged"), f"{where}: privileged")
    expect(sc.get("runAsNonRoot") is True, f"{where}: may run as root")


def _hardened_pod(pod: dict[str, Any], where: str) -> None:
    psc = pod.get("securityContext", {})
    expect(psc.get("runAsNonRoot") is True, f"{where}: pod may run as root")
    expect(psc.get("runAsUser", 0) > 0, f"{where}: runAsUser is root")
    expect(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
    expect(pod.get("automountServiceAccountToken") is False, f"{where}: mounts a Kubernetes API token")
    for c in pod["containers"]:
        _hardened(c, f"{where} container {c['name']}")


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def behaviour(values: dict[str, Any]) -> None:
    effective = h.chart().merge_values(values)
    docs = h.manifests(h.render(values, api_versions=(h.SERVICE_MONITOR_API,)))
    known = logward_variables()

    # The variables' ConfigMap (the JWT public key has one of its own).
    configs = [d for d in docs if d["kind"] == "ConfigMap" and "LOGWARD_LISTEN" in d.get("data", {})]
    expect(len(configs) == 1, f"expected one ConfigMap of variables, rendered {len(configs)}")
    config = configs[0]
    env = config["data"]
    unknown = sorted(k for k in env if k.startswith("LOGWARD_") and k not in known)
    expect(not unknown, f"ConfigMap sets variables logward does not read: {unknown}")

    secrets = [d for d in docs if d["kind"] == "Secret" and not d["metadata"]["annotations"].get("helm.sh/hook")]
    if effective["existingSecret"]:
        expect(not secrets, "a Secret was created although existingSecret is set")
        secret_name = effective["existingSecret"]
    else:
        expect(len(secrets) == 1, f"expected one Secret, rendered {len(secrets)}")
        data = secrets[0]["stringData"]
        unknown = sorted(k for k in data if k not in known)
        expect(not unknown, f"Secret keys that are not logward variables: {unknown}")
        expect({"LOGWARD_DATABASE_URL", "LOGWARD_TOKEN_KEY"} <= set(data), "Secret lacks the database URL or token key")
        secret_name = secrets[0]["metadata"]["name"]

    dep = h.one(docs, "Deployment")
    pod = dep["spec"]["template"]["spec"]
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    _hardened_pod(pod, "Deployment")
    (c,) = [c for c in pod["containers"] if c["name"] == "logward"]
    expect(c["args"] == ["serve"], f"gateway args {c['args']}")
    expect(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe is not /healthz")
    expect(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe is not /readyz")
    expect(c["startupProbe"]["httpGet"]["path"] == "/healthz", "startup probe is not /healthz")
    scheme = "HTTPS" if effective["tls"]["existingSecret"] else "HTTP"
    expect(c["readinessProbe"]["httpGet"].get("scheme") == scheme, f"probes do not use {scheme}")
    expect(
        {"configMapRef": {"name": config["metadata"]["name"]}} in c["envFrom"]
        and {"secretRef": {"name": secret_name}} in c["envFrom"],
        "the gateway does not take its variables from the ConfigMap and the Secret",
    )
    grace = int(env.get("LOGWARD_SHUTDOWN_GRACE_SECS", "30"))
    pause = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    expect(
        pod["terminationGracePeriodSeconds"] > grace + pause,
        f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} does not exceed "
        f"the preStop pause {pause} plus LOGWARD_SHUTDOWN_GRACE_SECS {grace}",
    )
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    for key in ("checksum/config", "checksum/secret"):
        expect(SHA256.match(annotations.get(key, "")), f"pod template lacks a {key} annotation")
    expect(pod.get("topologySpreadConstraints"), "no topology spread")

    hpa = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    if effective["autoscaling"]["enabled"]:
        expect(len(hpa) == 1 and "replicas" not in dep["spec"], "with autoscaling the HPA must own the replica count")
    else:
        expect(not hpa and dep["spec"]["replicas"] == effective["replicaCount"], "replicas not as configured")

    svc = h.one(docs, "Service")
    expect(_matches(svc["spec"]["selector"], pod_labels), "the Service does not select the gateway pods")

    sa_name = pod["serviceAccountName"]
    if effective["serviceAccount"]["create"]:
        sa = h.one(docs, "ServiceAccount")
        expect(sa["metadata"]["name"] == sa_name, "pods do not use the chart's ServiceAccount")
        role = effective["serviceAccount"]["irsaRoleArn"]
        if role:
            expect(sa["metadata"]["annotations"].get("eks.amazonaws.com/role-arn") == role, "IRSA annotation missing")

    monitors = [d for d in docs if d["kind"] == "ServiceMonitor"]
    expect(len(monitors) == (1 if effective["serviceMonitor"]["enabled"] else 0), "ServiceMonitor not as configured")
    # Without the Prometheus Operator's API a ServiceMonitor could not be applied.
    without_crd = h.manifests(h.render(values))
    expect(not [d for d in without_crd if d["kind"] == "ServiceMonitor"], "a ServiceMonitor without its CRD")
    for pdb in (d for d in docs if d["kind"] == "PodDisruptionBudget"):
        expect(_matches(pdb["spec"]["selector"]["matchLabels"], pod_labels), "the PDB does not select the gateway pods")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy" and not d["metadata"]["annotations"].get("helm.sh/hook")]
    expect(len(policies) == (1 if effective["networkPolicy"]["enabled"] else 0), "NetworkPolicy not as configured")
    for np in policies:
        expect(_matches(np["spec"]["podSelector"]["matchLabels"], pod_labels), "the NetworkPolicy misses the gateway pods")

    if effective["migration"]["enabled"]:
        _migration(docs, env, effective, pod_labels)


def _migration(docs: list[dict[str, Any]], env: dict[str, str], effective: dict[str, Any], gateway_labels: dict[str, str]) -> None:
    job = h.one(docs, "Job")
    ann = job["metadata"]["annotations"]
    expect(ann.get("helm.sh/hook") == "pre-install,pre-upgrade", f"migration Job hooks: {ann.get('helm.sh/hook')}")
    pod = job["spec"]["template"]["spec"]
    _hardened_pod(pod, "migration Job")
    (c,) = pod["containers"]
    expect(c["args"] == ["migrate"], f"migration Job args {c['args']}")
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    svc = h.one(docs, "Service")
    expect(not _matches(svc["spec"]["selector"], job_labels), "the Service would send traffic to the migration Job")
    job_env = {e["name"]: e for e in c["env"]}
    differing = sorted(k for k, v in env.items() if job_env.get(k, {}).get("value") != v)
    expect(not differing, f"the Job's settings differ from the gateway's: {differing}")
    ref = job_env["LOGWARD_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    if effective["existingSecret"]:
        expect(ref["name"] == effective["existingSecret"], "the Job does not read the existing Secret")
    else:
        # Hooks run before the release's own objects exist: the Job's Secret
        # must be a hook itself, created before the Job.
        hook_secret = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == ref["name"]]
        expect(hook_secret, f"the Job reads Secret {ref['name']}, which is not rendered")
        sann = hook_secret[0]["metadata"]["annotations"]
        expect(
            sann.get("helm.sh/hook") == ann["helm.sh/hook"]
            and int(sann["helm.sh/hook-weight"]) < int(ann["helm.sh/hook-weight"]),
            "the Job's Secret is not a hook created before the Job",
        )
