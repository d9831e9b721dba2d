"""The one place the boto3 tests make a CloudWatch Logs client for logward.

Pointed at the gateway with ``endpoint_url``. A credential
``ACCESS_KEY_ID:SECRET`` is a gateway-issued access key: botocore signs with
SigV4 as it does for AWS. Anything else (a JWT, a tenant API key) is sent as
``Authorization: Bearer <credential>`` with botocore's signing off, which the
AWS door accepts too.
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
    # One attempt: a refusal must surface, not be retried.
    retries = {"max_attempts": 1, "mode": "standard"}
    key_id, _, secret = token.partition(":")
    if key_id.startswith("LWAK") and secret:
        return boto3.client(
            "logs",
            region_name=REGION,
            endpoint_url=os.environ["LOGWARD_URL"],
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries=retries),
        )
    logs = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=os.environ["LOGWARD_URL"],
        config=Config(signature_version=botocore.UNSIGNED, retries=retries),
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
