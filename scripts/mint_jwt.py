#!/usr/bin/env python3
"""Mint an HS256 JWT for a logward tenant, with the standard library only.

    scripts/mint_jwt.py --secret-env LOGWARD_JWT_HS256_SECRET --tenant demo --sub alice

Prints the token on stdout. The HMAC key is the environment variable's value
as UTF-8 bytes, exactly as written (a hex-looking secret is not hex-decoded).
Reading the secret from the environment keeps it off the command line, where
other users could see it in the process list.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint(secret: bytes, claims: dict) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, claims)
    )
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def parse_claim(text: str) -> tuple:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        # Numbers, booleans, lists stay typed; anything else is a string.
        return key, json.loads(value)
    except ValueError:
        return key, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret-env", required=True, metavar="VAR",
                        help="environment variable holding the HS256 secret")
    parser.add_argument("--tenant", required=True, help="value of the 'tenant' claim")
    parser.add_argument("--sub", required=True, help="value of the 'sub' claim")
    parser.add_argument("--ttl", type=int, default=3600, metavar="SECONDS",
                        help="lifetime in seconds (default 3600)")
    parser.add_argument("--claim", type=parse_claim, action="append", default=[],
                        metavar="KEY=VALUE",
                        help="extra claim, e.g. aud=logward (repeatable; VALUE is JSON if it parses)")
    args = parser.parse_args(argv)

    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"mint_jwt: environment variable {args.secret_env} is unset or empty", file=sys.stderr)
        return 2

    now = int(time.time())
    claims = {"sub": args.sub, "tenant": args.tenant, "iat": now, "exp": now + args.ttl}
    claims.update(dict(args.claim))
    print(mint(secret.encode("utf-8"), claims))
    return 0


if __name__ == "__main__":
    sys.exit(main())
