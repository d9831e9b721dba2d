#!/usr/bin/env python3
"""Seed a CloudWatch Logs endpoint (moto in the demo) with the demo's log data.

    .venv/bin/python scripts/seed_demo.py --endpoint http://127.0.0.1:5000
    .venv/bin/python scripts/seed_demo.py --endpoint ... --write '{"level":"error","msg":"boom"}'

Creates /demo/app (tenant "demo" may read it) and /other/app (it may not: the
demo uses it to show that one customer cannot read another's logs). The demo's
lines are JSON, as most services write them, so JSON filter patterns such as
{ $.level = "error" } have something to select. With --write, appends the given
messages to /demo/app web-1 now (what scripts/demo-write does, for the tail).
Credentials come from the usual AWS environment variables; any value works
with moto.
"""

import argparse
import json
import sys
import time

import boto3


def ensure_stream(logs, group: str, stream: str) -> None:
    # Seeding twice against the same server should not fail.
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass


def put(logs, group: str, stream: str, messages: list) -> None:
    # PutLogEvents wants events in timestamp order; one millisecond apart keeps
    # them ordered and distinct.
    start = int(time.time() * 1000)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def line(fields: dict) -> str:
    return json.dumps(fields, separators=(",", ":"))


DEMO_LINES = [
    line({"level": "info", "msg": "server started", "port": 8000}),
    line({"level": "info", "msg": "request", "method": "GET", "path": "/", "status": 200, "ms": 4}),
    line({"level": "warn", "msg": "slow request", "method": "GET", "path": "/search", "status": 200, "ms": 1870}),
    line({"level": "error", "msg": "request failed", "method": "POST", "path": "/checkout", "status": 500,
          "error": "payment provider timed out"}),
    line({"level": "info", "msg": "request", "method": "GET", "path": "/cart", "status": 200, "ms": 7}),
]
WORKER_LINES = [
    line({"level": "info", "msg": "job done", "job": "send-receipts", "count": 12}),
    line({"level": "error", "msg": "job failed", "job": "sync-inventory", "error": "connection reset"}),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="CloudWatch Logs endpoint URL")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--write", nargs="+", metavar="MESSAGE", help="append these messages to /demo/app web-1 instead of seeding")
    args = parser.parse_args(argv)

    logs = boto3.client("logs", endpoint_url=args.endpoint, region_name=args.region)

    if args.write is not None:
        ensure_stream(logs, "/demo/app", "web-1")
        put(logs, "/demo/app", "web-1", args.write)
        print(f"wrote {len(args.write)} event(s) to /demo/app web-1", file=sys.stderr)
        return 0

    ensure_stream(logs, "/demo/app", "web-1")
    put(logs, "/demo/app", "web-1", DEMO_LINES)
    ensure_stream(logs, "/demo/app", "worker-1")
    put(logs, "/demo/app", "worker-1", WORKER_LINES)

    ensure_stream(logs, "/other/app", "web-1")
    put(logs, "/other/app", "web-1", [line({"level": "info", "msg": "another customer's secret"})])

    print(
        f"seeded /demo/app web-1 ({len(DEMO_LINES)} events) and worker-1 ({len(WORKER_LINES)}),"
        " /other/app web-1 (1 event)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
