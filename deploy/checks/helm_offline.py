"""Helm, offline: the chart rendered and linted by Helm's own Go code through
helm-python-sdk (libhelm_c), with no helm binary and no cluster."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import helm_python
import yaml
from helm_python import _native

from common import CHART, CheckFailed

# The newest Kubernetes that kubernetes-validate ships schemas for, and the
# oldest the chart supports (Chart.yaml kubeVersion).
KUBE_CURRENT = "1.37.0"
KUBE_OLDEST = "1.30.0"
KUBE_VERSIONS = (KUBE_OLDEST, KUBE_CURRENT)
SERVICE_MONITOR_API = "monitoring.coreos.com/v1"
RELEASE = "logward-ci"
NAMESPACE = "logward"


@lru_cache(maxsize=1)
def chart() -> helm_python.Chart:
    return helm_python.Chart.load(str(CHART))


def ci_values_files() -> list[Path]:
    files = sorted((CHART / "ci").glob("*.yaml"))
    if not files:
        raise CheckFailed(f"no values files in {CHART / 'ci'}")
    return files


def load_values(path: Path) -> dict[str, Any]:
    # Helm's own YAML reading, as `helm -f FILE` would do it.
    return helm_python.values_from_yaml(path.read_text())


def render(
    values: dict[str, Any],
    *,
    kube_version: str = KUBE_CURRENT,
    api_versions: tuple[str, ...] = (),
    upgrade: bool = False,
) -> dict[str, str]:
    """`helm template` with --kube-version and --api-versions: template path to
    rendered text. Chart.render() passes only name, namespace and revision;
    libhelm_c's helm_render also takes the capabilities, which the
    ServiceMonitor's CRD condition needs (helm-python-sdk is pinned exactly,
    so this call into its native layer cannot shift underneath)."""
    opts = {
        "name": RELEASE,
        "namespace": NAMESPACE,
        "is_install": not upgrade,
        "is_upgrade": upgrade,
        "kube_version": f"v{kube_version}",
        "api_versions": list(api_versions),
    }
    out = _native.call_string("helm_render", chart()._raw(), json.dumps(values), json.dumps(opts))
    return json.loads(out)


def manifests(rendered: dict[str, str]) -> list[dict[str, Any]]:
    """The Kubernetes objects of a render (NOTES.txt and empty documents left out)."""
    docs: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", {})
                doc["_template"] = path
                docs.append(doc)
    return docs


def without_source(doc: dict[str, Any]) -> dict[str, Any]:
    clean = {k: v for k, v in doc.items() if k != "_template"}
    meta = dict(clean.get("metadata", {}))
    if meta.get("annotations") == {}:
        meta.pop("annotations")
    clean["metadata"] = meta
    return clean


def lint(values: dict[str, Any], kube_version: str = KUBE_CURRENT) -> dict[str, Any]:
    return helm_python.lint(
        str(CHART), values, strict=True, namespace=NAMESPACE, kube_version=f"v{kube_version}"
    )


def one(docs: list[dict[str, Any]], kind: str, component: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in docs
        if d["kind"] == kind
        and (component is None or d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == component)
    ]
    if len(found) != 1:
        raise CheckFailed(f"expected one {kind} (component {component}), rendered {len(found)}")
    return found[0]


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(d["kind"] for d in docs)
