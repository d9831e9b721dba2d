"""docker/demo_seed.py (compose's demo-seed service) run for real, twice,
against moto from the project's venv and a stand-in for the gateway's admin
API: there is no Docker engine to run the compose file here, and this is the
part of it that is new code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

from common import REPO, CheckFailed, expect

ADMIN_TOKEN = "demo-seed-check-admin-token-0123456789abcdef"
JWT_SECRET = "demo-seed-check-jwt-secret-0123456789abcdef"
POLICY = REPO / "policies" / "tenant-example-prefix.json"


class AdminStub(ThreadingHTTPServer):
    """Answers like logward: not ready twice, then tenants (201, then 409
    for the same id) and policies, each behind the admin token."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.not_ready = 2
        self.tenant_posts: list[int] = []
        self.policies: list[bytes] = []
        self.tenants: set[str] = set()


class _Handler(BaseHTTPRequestHandler):
    server: AdminStub

    def log_message(self, *args: object) -> None:  # keep the check's output short
        pass

    def _reply(self, status: int, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self) -> None:
        if self.path == "/readyz" and self.server.not_ready > 0:
            self.server.not_ready -= 1
            return self._reply(503)
        self._reply(200 if self.path == "/readyz" else 404)

    def _admin(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {ADMIN_TOKEN}":
            self._reply(401)
            return False
        return True

    def do_POST(self) -> None:
        if self.path != "/admin/v1/tenants":
            return self._reply(404)
        if not self._admin():
            return None
        tenant = json.loads(self._body())["id"]
        status = 409 if tenant in self.server.tenants else 201
        self.server.tenants.add(tenant)
        self.server.tenant_posts.append(status)
        self._reply(status, {"id": tenant})

    def do_PUT(self) -> None:
        if self.path != "/admin/v1/tenants/demo/policy":
            return self._reply(404)
        if not self._admin():
            return None
        if "demo" not in self.server.tenants:
            return self._reply(404)
        self.server.policies.append(self._body())
        self._reply(200, {"version": len(self.server.policies)})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CheckFailed("moto_server exited at start")
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()
            return proc, url
        except OSError:
            time.sleep(0.2)  # polling for readiness, bounded by the deadline
    proc.terminate()
    raise CheckFailed("moto_server did not answer within 60 s")


def _claims(token: str) -> dict:
    header, payload, signature = token.split(".")
    expected = hmac.new(JWT_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    actual = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    expect(hmac.compare_digest(expected, actual), "the printed token is not signed with LOGWARD_JWT_HS256_SECRET")
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def seeds() -> None:
    stub = AdminStub()
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    moto, moto_url = _start_moto()
    try:
        env = {
            **os.environ,
            "DEMO_GATEWAY_URL": f"http://127.0.0.1:{stub.server_address[1]}",
            "DEMO_MOTO_URL": moto_url,
            "DEMO_SCRIPTS": str(REPO / "scripts"),
            "DEMO_POLICY": str(POLICY),
            "DEMO_READY_SECONDS": "30",
            "LOGWARD_ADMIN_TOKEN": ADMIN_TOKEN,
            "LOGWARD_JWT_HS256_SECRET": JWT_SECRET,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
        }
        outputs = []
        for attempt in (1, 2):
            result = subprocess.run(
                [sys.executable, str(REPO / "docker" / "demo_seed.py")], env=env, capture_output=True, text=True, timeout=120
            )
            expect(result.returncode == 0, f"run {attempt} failed:\n{result.stdout}{result.stderr}")
            outputs.append(result.stdout)
        expect(stub.tenant_posts == [201, 409], f"tenant creation answers {stub.tenant_posts}")
        expect(stub.policies == [POLICY.read_bytes()] * 2, "the stored policy is not policies/tenant-example-prefix.json")
        token = outputs[-1].split("export TOKEN='")[1].split("'")[0]
        claims = _claims(token)
        expect(claims.get("tenant") == "demo", f"token claims {claims}")
        logs = boto3.client("logs", endpoint_url=moto_url, region_name="us-east-1",
                            aws_access_key_id="demo", aws_secret_access_key="demo")
        events = logs.get_log_events(logGroupName="/demo/app", logStreamName="web-1", startFromHead=True)["events"]
        expect(len(events) == 10, f"/demo/app/web-1 holds {len(events)} events after two runs, expected 10")
        groups = {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}
        expect({"/demo/app", "/other/app"} <= groups, f"log groups {groups}")
    finally:
        moto.terminate()
        moto.wait(timeout=30)
        stub.shutdown()
        stub.server_close()
