#!/usr/bin/env python3
"""Seed a CloudWatch Logs endpoint (moto in the demo) with the demo's log data.

    .venv/bin/python scripts/seed_demo.py --endpoint http://127.0.0.1:5000

Creates /demo/app (tenant "demo" may read it) and /other/app (it may not: the
demo uses it to show that one customer cannot read another's logs). Credentials
come from the usual AWS environment variables; any value works with moto.
"""

import argparse
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="CloudWatch Logs endpoint URL")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)

    logs = boto3.client("logs", endpoint_url=args.endpoint, region_name=args.region)

    ensure_stream(logs, "/demo/app", "web-1")
    put(logs, "/demo/app", "web-1", [f"demo event {i}" for i in range(1, 6)])

    ensure_stream(logs, "/other/app", "web-1")
    put(logs, "/other/app", "web-1", ["another customer's secret"])

    print("seeded /demo/app/web-1 (5 events) and /other/app/web-1 (1 event)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
