"""template.yaml, the Lambda deployment: cfn-lint against CloudFormation's
resource schemas, and what the template must say about logward: the command,
the required variables, and the gateway's IAM policy as policies/ has it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from common import REPO, CheckFailed, Runner, expect, logward_variables

TEMPLATE = REPO / "template.yaml"
IAM_POLICY = REPO / "policies" / "gateway-iam-policy.json"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def register(run: Runner) -> None:
    run.check("lambda: cfn-lint passes template.yaml", cfn_lint_passes)
    run.check("lambda: cfn-lint refuses a template with a wrong property (the linter bites)", cfn_lint_bites)
    run.check("lambda: the function runs `logward lambda` from the image", runs_logward_lambda)
    run.check("lambda: the environment holds only logward's variables, the token key among them", environment)
    run.check("lambda: the role's read permissions are policies/gateway-iam-policy.json", iam_matches_policies)
    run.check("lambda: both front doors reach the function (payload 2.0, function URL permissions)", front_doors)


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CFN_LINT), "--", str(path)], capture_output=True, text=True, timeout=300)


def cfn_lint_passes() -> None:
    result = _lint(TEMPLATE)
    expect(result.returncode == 0, f"cfn-lint exit {result.returncode}:\n{result.stdout}{result.stderr}")


def cfn_lint_bites() -> None:
    broken = TEMPLATE.read_text().replace("InvokeMode: BUFFERED", "InvokeMode: STREAMED", 1)
    expect("STREAMED" in broken, "template.yaml no longer has InvokeMode: BUFFERED to break")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.yaml"
        path.write_text(broken)
        result = _lint(path)
    expect(result.returncode != 0 and "STREAMED" in result.stdout, f"cfn-lint accepted it:\n{result.stdout}")


def _template() -> dict[str, Any]:
    template, matches = decode(str(TEMPLATE))
    if matches or template is None:
        raise CheckFailed(f"template.yaml does not parse: {matches}")
    return template


def _function(template: dict[str, Any]) -> dict[str, Any]:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    expect(len(functions) == 1, f"expected one function, found {len(functions)}")
    return functions[0]["Properties"]


def runs_logward_lambda() -> None:
    fn = _function(_template())
    expect(fn.get("PackageType") == "Image", "the function is not the container image")
    expect(fn.get("ImageConfig", {}).get("Command") == ["lambda"], f"command {fn.get('ImageConfig')}")


def environment() -> None:
    env = _function(_template())["Environment"]["Variables"]
    names = {k for k in env if k.startswith("LOGWARD_")}
    unknown = sorted(names - logward_variables())
    expect(not unknown, f"variables logward does not read: {unknown}")
    for required in ("LOGWARD_DATABASE_URL", "LOGWARD_TOKEN_KEY"):
        expect(required in env, f"{required} is not set")
    expect("LOGWARD_ADMIN_TOKEN" not in env, "an internet-facing function must not carry the bootstrap admin token")
    other = sorted(k for k in env if not k.startswith("LOGWARD_"))
    expect(not other, f"unexpected variables (Lambda sets AWS_REGION itself): {other}")


def _text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    expect(isinstance(value, str), f"unexpected resource form {value!r}")
    return value


def _kind(arn: str) -> str:
    if arn == "*":
        return "any"
    if ":log-stream:" in arn:
        return "log stream"
    if ":log-group:" in arn:
        return "log group"
    raise CheckFailed(f"resource of unknown kind: {arn}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _by_sid(statements: list[dict[str, Any]]) -> dict[str, tuple[set[str], set[str]]]:
    return {
        s["Sid"]: ({a.lower() for a in _as_list(s["Action"])}, {_kind(_text(r)) for r in _as_list(s["Resource"])})
        for s in statements
        if "Sid" in s
    }


def iam_matches_policies() -> None:
    expected = _by_sid(json.loads(IAM_POLICY.read_text())["Statement"])
    roles = [r for r in _template()["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    expect(len(roles) == 1, "expected one role")
    statements = [s for p in roles[0]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    actual = _by_sid(statements)
    expect(actual == expected, f"role statements {actual} differ from {IAM_POLICY.name} {expected}")
    # The rest may only write the function's own logs.
    for s in statements:
        if "Sid" not in s:
            actions = set(_as_list(s["Action"]))
            expect(actions <= {"logs:CreateLogStream", "logs:PutLogEvents"}, f"extra permissions {actions}")
            expect(_text(s["Resource"]) != "*", "log writing is not limited to the function's log group")


def front_doors() -> None:
    resources = _template()["Resources"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in resources.values():
        by_type.setdefault(r["Type"], []).append(r.get("Properties", {}))
    (integration,) = by_type["AWS::ApiGatewayV2::Integration"]
    expect(integration["PayloadFormatVersion"] == "2.0", "the HTTP API does not send payload format 2.0")
    (route,) = by_type["AWS::ApiGatewayV2::Route"]
    expect(route["RouteKey"] == "$default", "the HTTP API does not send every route to logward")
    (url,) = by_type["AWS::Lambda::Url"]
    expect(url["AuthType"] == "NONE", "function URL auth (logward authenticates)")
    actions = {p["Action"] for p in by_type["AWS::Lambda::Permission"] if p["Principal"] == "*"}
    expect(actions == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}, f"function URL permissions {actions}")
