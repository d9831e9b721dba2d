"""Client-side halves of the AWS-door tests (tests/api/aws_clients.rs), run
with real boto3 against a logward under test:

    python scenarios.py <scenario>     # arguments in $SCENARIO_ARGS (JSON)

Each scenario prints one JSON object on stdout; the Rust test asserts on it.
Clients come from logward_boto.client() only.
"""

import json
import os
import sys
import time

from botocore.exceptions import ClientError

from logward_boto import client, upstream


def refusal(call):
    """What boto3 raised for a call that must fail: the exception class it
    chose, the error code, the HTTP status and the request id."""
    try:
        call()
    except ClientError as e:
        return {
            "exception": type(e).__name__,
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"].get("Message", ""),
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "requestId": e.response["ResponseMetadata"].get("RequestId"),
        }
    return {"exception": None}


def get_log_events_to_the_end(a):
    """Pages forward one event at a time until the token repeats, as the
    SDK paginators do (boto3 has no GetLogEvents paginator)."""
    logs = client()
    messages, pages, token = [], 0, None
    while True:
        kwargs = {"logStreamName": a["stream"], "limit": 1, "startFromHead": True}
        kwargs.update(a["group"])
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        pages += 1
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            return {"messages": messages, "pages": pages, "requestId": page["ResponseMetadata"].get("RequestId")}
        token = page["nextForwardToken"]
        if pages > 100:
            raise SystemExit("GetLogEvents paging never reached the end")


def filter_json_pattern(a):
    paginator = client().get_paginator("filter_log_events")
    events = []
    pages = 0
    for page in paginator.paginate(
        logGroupName=a["group"], filterPattern='{ $.level = "ERROR" }', PaginationConfig={"PageSize": 2}
    ):
        pages += 1
        events += page["events"]
    return {"events": events, "pages": pages}


def describe_log_groups(a):
    paginator = client().get_paginator("describe_log_groups")
    groups = []
    for page in paginator.paginate(**a, PaginationConfig={"PageSize": 1}):
        groups += page["logGroups"]
    return {"groups": groups}


def describe_log_streams(a):
    paginator = client().get_paginator("describe_log_streams")
    streams = []
    for page in paginator.paginate(logGroupIdentifier=a["group_arn"], PaginationConfig={"PageSize": 1}):
        streams += page["logStreams"]
    return {"streams": streams}


def insights(a):
    logs = client()
    now = int(time.time())
    started = logs.start_query(
        logGroupIdentifiers=a["groups"],
        startTime=now - 3600,
        endTime=now + 60,
        queryString="fields @message | sort @timestamp asc | limit 20",
    )
    query_id = started["queryId"]
    other = client(os.environ["LOGWARD_OTHER_TOKEN"])
    # Another tenant may not even learn that the query exists.
    others = {
        "results": refusal(lambda: other.get_query_results(queryId=query_id)),
        "stop": refusal(lambda: other.stop_query(queryId=query_id)),
    }
    deadline = time.monotonic() + 10
    while True:
        results = logs.get_query_results(queryId=query_id)
        if results["status"] not in ("Scheduled", "Running") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    messages = [f["value"] for row in results["results"] for f in row if f["field"] == "@message"]
    stopped = logs.stop_query(queryId=query_id)
    return {
        "status": results["status"],
        "statistics": results["statistics"],
        "messages": messages,
        "success": stopped["success"],
        "others": others,
    }


def tail(a):
    """`aws logs tail --follow` (CLI v2's customizations/logs/tail.py),
    without its 5 s sleep: FilterLogEvents, interleaved, from the newest
    timestamp seen, de-duplicated by eventId; new events are written straight
    to CloudWatch between polls."""
    logs = client()
    start, seen_at_start = a["since"], set()
    polls = []

    def poll():
        nonlocal start, seen_at_start
        kwargs = {"logGroupName": a["group"], "interleaved": True, "startTime": start}
        if a.get("prefix"):
            kwargs["logStreamNamePrefix"] = a["prefix"]
        new = []
        for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
            new += [e for e in page["events"] if e["eventId"] not in seen_at_start]
        if new:
            start = max(e["timestamp"] for e in new)
            seen_at_start = {e["eventId"] for e in new if e["timestamp"] == start} | (
                seen_at_start if start == kwargs["startTime"] else set()
            )
        polls.append([{"stream": e["logStreamName"], "message": e["message"]} for e in new])

    poll()
    writer = upstream()
    now = int(time.time() * 1000)
    for i, (stream, message) in enumerate(a["writes"]):
        writer.put_log_events(
            logGroupName=a["group"], logStreamName=stream, logEvents=[{"timestamp": now + i, "message": message}]
        )
    poll()
    poll()
    return {"polls": polls}


def denied(a):
    logs = client()
    now = int(time.time() * 1000)
    return {
        "get_other": refusal(lambda: logs.get_log_events(logGroupName=a["other_group"], logStreamName="web-1")),
        "filter_other": refusal(lambda: logs.filter_log_events(logGroupName=a["other_group"])),
        "filter_whole_shared": refusal(lambda: logs.filter_log_events(logGroupName=a["shared_group"])),
        "put": refusal(
            lambda: logs.put_log_events(
                logGroupName=a["own_group"],
                logStreamName="web-1",
                logEvents=[{"timestamp": now, "message": "forged"}],
            )
        ),
        "delete": refusal(lambda: logs.delete_log_group(logGroupName=a["own_group"])),
        "other_account": refusal(
            lambda: logs.get_log_events(
                logGroupIdentifier=a["own_group_arn"].replace("123456789012", "210987654321"),
                logStreamName="web-1",
            )
        ),
        "unknown_query": refusal(lambda: logs.get_query_results(queryId="0b5f6a1e-0000-4000-8000-000000000000")),
    }


if __name__ == "__main__":
    scenario = globals()[sys.argv[1]]
    print(json.dumps(scenario(json.loads(os.environ.get("SCENARIO_ARGS", "{}")))))
