"""The container image and docker-compose.yml: hadolint on the Dockerfiles,
what the runtime stage must be, the Compose file against the Compose
Specification and against the repository, and the image build itself where
a Docker engine answers (skipped, and said so, where none does)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import demo_seed_check
from common import REPO, Runner, expect, logward_variables

BIN = Path(sys.executable).parent
DOCKERFILES = [REPO / "Dockerfile", *sorted((REPO / "docker").glob("*.Dockerfile"))]
COMPOSE = REPO / "docker-compose.yml"
IMAGE_TAG = "logward:check-deploy"


def register(run: Runner) -> None:
    run.check("image: hadolint passes every Dockerfile", hadolint)
    run.check("image: the runtime stage is small, non-root, and documents its probes", runtime_stage)
    run.check("compose: docker-compose.yml passes the Compose Specification schema", compose_schema)
    run.check("compose: services, builds, mounts and variables exist", compose_consistent)
    run.check("compose: demo seeding creates the tenant and policy, seeds moto, and can run again", demo_seed_check.seeds)
    engine = docker_engine()
    if engine is None:
        run.check("image: docker build and run", build_image)
    else:
        run.skip("image: docker build and run", f"skipped the image build: no Docker engine ({engine})")


def hadolint() -> None:
    result = subprocess.run([str(BIN / "hadolint"), *map(str, DOCKERFILES)], capture_output=True, text=True, timeout=120)
    expect(result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}")


def _stages(path: Path) -> list[list[tuple[str, str]]]:
    """(instruction, arguments) per build stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        expect(stages, f"{path.name}: an instruction before the first FROM")
        stages[-1].append((instruction.upper(), args.strip()))
    return stages


def runtime_stage() -> None:
    dockerfile = REPO / "Dockerfile"
    stages = _stages(dockerfile)
    expect(len(stages) >= 2, "not a multi-stage build")
    build_from = stages[0][0][1]
    runtime = stages[-1]
    base = runtime[0][1]
    expect("distroless" in base or "slim" in base, f"runtime base {base} is not a small one")
    expect(
        ("bookworm" in build_from) == ("bookworm" in base or "debian12" in base),
        f"build stage {build_from} and runtime {base} are different Debian releases (glibc)",
    )
    users = [args for ins, args in runtime if ins == "USER"]
    expect(users, "the runtime stage sets no USER (it would run as root)")
    uid = users[-1].split(":")[0]
    expect(uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: must be a numeric non-root id (runAsNonRoot checks it)")
    entry = [json.loads(args) for ins, args in runtime if ins == "ENTRYPOINT"]
    expect(entry and entry[-1] == ["/usr/local/bin/logward"], f"entry point {entry}")
    listen = [args for ins, args in runtime if ins == "ENV" and "LOGWARD_LISTEN=" in args]
    exposed = [args for ins, args in runtime if ins == "EXPOSE"]
    expect(listen and exposed and listen[-1].rsplit(":", 1)[-1] == exposed[-1], "EXPOSE differs from LOGWARD_LISTEN's port")
    if not any(ins == "HEALTHCHECK" for ins, _ in runtime):
        text = dockerfile.read_text()
        expect("/healthz" in text and "/readyz" in text, "no HEALTHCHECK and no documented probes")


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def compose_schema() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    expect(result.returncode == 0, f"check-jsonschema:\n{result.stdout}{result.stderr}")


def _duration_secs(text: str) -> int:
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", text)
    expect(m and text, f"unreadable duration {text!r}")
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def compose_consistent() -> None:
    services = _compose()["services"]
    for name, svc in services.items():
        for dep in svc.get("depends_on", {}):
            expect(dep in services, f"{name} depends on unknown service {dep}")
        build = svc.get("build")
        if build is not None:
            context = REPO / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
            expect(dockerfile.is_file(), f"{name}: {dockerfile.relative_to(REPO)} does not exist")
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                expect((REPO / source).exists(), f"{name}: mounts {source}, which does not exist")
    gateway = services["logward"]
    unknown = sorted(k for k in gateway["environment"] if k.startswith("LOGWARD_") and k not in logward_variables())
    expect(not unknown, f"the gateway's environment names variables logward does not read: {unknown}")
    grace = int(gateway["environment"].get("LOGWARD_SHUTDOWN_GRACE_SECS", 30))
    expect(_duration_secs(gateway.get("stop_grace_period", "10s")) > grace, "stop_grace_period within the shutdown grace")
    expect(gateway.get("read_only") is True and gateway.get("cap_drop") == ["ALL"], "the gateway container is not locked down")
    # docker/moto.Dockerfile and scripts/venv.sh must install the same moto.
    venv_req = re.search(r"moto_requirement='([^']+)'", (REPO / "scripts" / "venv.sh").read_text())
    expect(venv_req and f"'{venv_req.group(1)}'" in (REPO / "docker" / "moto.Dockerfile").read_text(), "moto versions differ")


def docker_engine() -> str | None:
    """None when a Docker engine answers, else why not."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker command"
    try:
        result = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if result.returncode != 0:
        return (result.stderr.strip().splitlines() or ["docker info failed"])[-1]
    return None


def build_image() -> None:
    build = subprocess.run(["docker", "build", "-t", IMAGE_TAG, str(REPO)], capture_output=True, text=True, timeout=3600)
    expect(build.returncode == 0, f"docker build failed:\n{build.stderr[-4000:]}")
    inspect = subprocess.run(["docker", "image", "inspect", IMAGE_TAG], capture_output=True, text=True, check=True)
    image = json.loads(inspect.stdout)[0]
    user = image["Config"].get("User", "")
    expect(user and user.split(":")[0] not in ("0", "root"), f"image user {user!r}")
    print(f"      image {IMAGE_TAG}: {image['Size'] / 1e6:.1f} MB uncompressed, user {user}")
    version = subprocess.run(["docker", "run", "--rm", IMAGE_TAG, "--version"], capture_output=True, text=True, timeout=120)
    expect(version.returncode == 0 and "logward" in version.stdout, f"the image does not run logward: {version.stderr}")
