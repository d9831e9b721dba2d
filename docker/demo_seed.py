#!/usr/bin/env python3
"""docker compose's demo data: what scripts/demo does after starting logward.

Waits for the gateway to be ready, creates the tenant "demo" with the policy
policies/tenant-example-prefix.json (through the admin API, so the gateway
applies it at once), seeds moto with /demo/app and /other/app
(scripts/seed_demo.py), and prints a token and two requests to try. Safe to
run again: an existing tenant is kept, its policy stored again.

Environment: DEMO_GATEWAY_URL, DEMO_MOTO_URL, DEMO_SCRIPTS (the folder of
seed_demo.py and mint_jwt.py), DEMO_POLICY (a policy file),
LOGWARD_ADMIN_TOKEN, LOGWARD_JWT_HS256_SECRET, AWS_REGION; optionally
DEMO_PUBLIC_URL (the gateway as the host sees it) and DEMO_READY_SECONDS.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

TENANT = "demo"


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        sys.exit(f"demo-seed: {name} is not set")
    return value


def call(method: str, url: str, token: str = "", body: bytes = b"") -> tuple:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def wait_ready(gateway: str, seconds: int) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if call("GET", f"{gateway}/readyz")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            sys.exit(f"demo-seed: {gateway}/readyz did not answer 200 within {seconds}s")
        time.sleep(1)


def run(script: list) -> str:
    result = subprocess.run([sys.executable, *script], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"demo-seed: {' '.join(script)} failed:\n{result.stderr}")
    return result.stdout.strip()


def main() -> int:
    gateway = env("DEMO_GATEWAY_URL").rstrip("/")
    admin = env("LOGWARD_ADMIN_TOKEN")
    scripts = env("DEMO_SCRIPTS")
    env("LOGWARD_JWT_HS256_SECRET")
    wait_ready(gateway, int(os.environ.get("DEMO_READY_SECONDS", "120")))

    tenant = json.dumps({"id": TENANT, "name": "Demo Customer"}).encode()
    status, text = call("POST", f"{gateway}/admin/v1/tenants", admin, tenant)
    if status not in (201, 409):
        sys.exit(f"demo-seed: creating tenant {TENANT} answered {status}: {text}")
    with open(env("DEMO_POLICY"), "rb") as f:
        status, text = call("PUT", f"{gateway}/admin/v1/tenants/{TENANT}/policy", admin, f.read())
    if status != 200:
        sys.exit(f"demo-seed: storing the policy answered {status}: {text}")

    run([f"{scripts}/seed_demo.py", "--endpoint", env("DEMO_MOTO_URL"), "--region", env("AWS_REGION")])
    token = run([f"{scripts}/mint_jwt.py", "--secret-env", "LOGWARD_JWT_HS256_SECRET",
                 "--tenant", TENANT, "--sub", "demo-user", "--ttl", "3600"])

    public = os.environ.get("DEMO_PUBLIC_URL", gateway).rstrip("/")
    own = f"{public}/v1/log-groups/%2Fdemo%2Fapp/log-streams/web-1/events?startFromHead=true"
    other = f"{public}/v1/log-groups/%2Fother%2Fapp/log-streams/web-1/events?startFromHead=true"
    print(f"""
logward demo is ready. A token for tenant "{TENANT}" (valid for an hour):
  export TOKEN='{token}'
Its own logs (200):
  curl -s -H "Authorization: Bearer $TOKEN" "{own}"
Another customer's logs (403):
  curl -s -H "Authorization: Bearer $TOKEN" "{other}"
""", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
