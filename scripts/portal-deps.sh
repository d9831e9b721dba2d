# shellcheck shell=bash
# Sourced helper: makes sure the log viewer's tools are there, for the browser
# tests (scripts/test) and the bundle check (scripts/check-portal). A fresh
# machine has neither, so this installs them:
#   - portal/node_modules from portal/package-lock.json (npm ci), again
#     whenever the lockfile is newer than the installed tree;
#   - Debian's chromium (with LOGWARD_PORTAL_NEEDS_CHROMIUM=1), unless
#     LOGWARD_TEST_CHROMIUM points at a browser already.
#
# Like scripts/venv.sh it changes no shell options and reports failure
# through its return status.

logward_ensure_portal_deps() {
    local repo portal chromium sudo=""
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    portal="$repo/portal"

    if ! command -v npm >/dev/null 2>&1; then
        echo "portal: npm (Node.js 20 or newer) is required for the log viewer's build and browser tests" >&2
        return 1
    fi
    # npm ci leaves node_modules/.package-lock.json behind; a lockfile newer
    # than it means the packages changed since.
    if [[ ! -f "$portal/node_modules/.package-lock.json" ||
        "$portal/package-lock.json" -nt "$portal/node_modules/.package-lock.json" ]]; then
        echo "portal: npm ci (installs the viewer's pinned packages)" >&2
        (cd "$portal" && npm ci --no-audit --no-fund --loglevel=error) || {
            echo "portal: npm ci failed" >&2
            return 1
        }
    fi

    [[ "${LOGWARD_PORTAL_NEEDS_CHROMIUM:-0}" == 1 ]] || return 0
    chromium="${LOGWARD_TEST_CHROMIUM:-/usr/bin/chromium}"
    [[ -x "$chromium" ]] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "portal: $chromium is missing and there is no apt-get; install Chromium and set LOGWARD_TEST_CHROMIUM" >&2
        return 1
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        sudo="sudo"
    fi
    echo "portal: installing Debian's chromium for the browser tests (first run only)" >&2
    $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null || {
        echo "portal: installing chromium failed" >&2
        return 1
    }
}

logward_ensure_portal_deps
