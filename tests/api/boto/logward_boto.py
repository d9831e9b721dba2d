"""The one place the boto3 tests make a CloudWatch Logs client for logward.

Pointed at the gateway with ``endpoint_url``; botocore's own signing is off
(``UNSIGNED``) and a ``before-send`` hook presents the tenant's credential as
``Authorization: Bearer <key>`` instead. When the tests move to
gateway-issued access keys, only this function changes.
"""

import os

import boto3
import botocore
from botocore.config import Config

REGION = os.environ.get("LOGWARD_REGION", "us-east-1")


def client(token=None):
    """A boto3 ``logs`` client that reads through logward as the tenant whose
    credential is ``token`` (default: ``$LOGWARD_TOKEN``)."""
    token = token or os.environ["LOGWARD_TOKEN"]
    logs = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=os.environ["LOGWARD_URL"],
        # One attempt: a refusal must surface, not be retried.
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}),
    )

    def bearer(request, **_):
        request.headers["Authorization"] = f"Bearer {token}"

    logs.meta.events.register("before-send.cloudwatch-logs", bearer)
    return logs


def upstream():
    """A client of the CloudWatch stand-in itself (moto), bypassing logward:
    for writing new events while a tail runs."""
    return boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=os.environ["LOGWARD_UPSTREAM_URL"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
