"""Entry point of scripts/check-deploy: runs every offline check of the deploy
files and ends with one line `deploy: N passed, N failed[, N skipped]`.

    python deploy/checks/check_deploy.py [SUBSTRING]   # only checks whose name contains it
"""

from __future__ import annotations

import sys

import chart_manifests
import chart_values
import container
import lambda_template
from common import Runner


def main(argv: list[str]) -> int:
    run = Runner(only=argv[1] if len(argv) > 1 else None)
    chart_values.register(run)
    chart_manifests.register(run)
    lambda_template.register(run)
    container.register(run)
    return run.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
