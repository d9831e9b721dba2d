# shellcheck shell=bash
# Sourced helper: makes sure $REPO/.venv holds moto's server (the stand-in for
# CloudWatch Logs used by the tests and the demo), boto3 (moto's dependency)
# and the AWS CLI (awscli, v1: PyPI has no v2), the real clients the
# AWS-compatible endpoint's tests drive (tests/api/boto/, tests/api/aws_cli.rs).
#
#   source scripts/venv.sh          # from bash, any working directory
#
# Afterwards LOGWARD_VENV points at the venv. The install is skipped when a
# marker from an earlier successful install matches the current requirement,
# so sourcing this is cheap on every test run.
#
# It is sourced by scripts that run under `set -euo pipefail`, so it changes no
# shell options and reports failure through its return status.

logward_ensure_venv() {
    local repo venv moto_requirement requirement marker python
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    venv="$repo/.venv"
    # Bump this (and the copy in docker/moto.Dockerfile) to move moto forward;
    # the marker records it, so a change here triggers a reinstall.
    # moto plays CloudWatch Logs; boto3 (moto's dependency) and the AWS CLI
    # are the real clients the AWS-door tests drive.
    moto_requirement='moto[server]>=5.2.2'
    requirement="$moto_requirement awscli>=1.36"
    marker="$venv/.moto-ok"
    python="${PYTHON:-python3}"

    export LOGWARD_VENV="$venv"

    # The venv's python is a symlink to the interpreter that made it; if that
    # interpreter went away (machine change, pyenv upgrade) the venv is dead
    # even though its files are still there.
    if [[ -x "$venv/bin/moto_server" && -x "$venv/bin/aws" && -f "$marker" ]] &&
        [[ "$(cat "$marker")" == "$requirement" ]] &&
        "$venv/bin/python" -c '' 2>/dev/null; then
        return 0
    fi

    if ! command -v "$python" >/dev/null 2>&1; then
        echo "venv: $python not found; install Python 3.9+ (3.11 is what CI uses)" >&2
        return 1
    fi

    rm -f "$marker"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' 2>/dev/null; then
        echo "venv: creating $venv" >&2
        # --clear: a half-made or broken venv is rebuilt rather than patched.
        if ! "$python" -m venv --clear "$venv"; then
            echo "venv: '$python -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
            return 1
        fi
    fi

    echo "venv: installing $requirement (first run only, takes a minute)" >&2
    # shellcheck disable=SC2086 # one word per requirement
    if ! "$venv/bin/python" -m pip install --quiet $requirement; then
        echo "venv: pip install of $requirement failed" >&2
        return 1
    fi
    if [[ ! -x "$venv/bin/moto_server" || ! -x "$venv/bin/aws" ]]; then
        echo "venv: $requirement installed but $venv/bin/moto_server or $venv/bin/aws is missing" >&2
        return 1
    fi
    printf '%s' "$requirement" >"$marker"
    echo "venv: ready" >&2
}

logward_ensure_venv
