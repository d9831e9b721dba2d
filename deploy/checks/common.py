"""What every deploy check shares: the runner that counts results, the
repository's paths, and the facts read from the gateway's own source (its
configuration variables and their ranges), so the deploy files are checked
against the code rather than against a copy of it."""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "logward"


class CheckFailed(Exception):
    """A check found the deploy files wrong."""


def expect(condition: object, message: str) -> None:
    # Not `assert`: python -O would drop it.
    if not condition:
        raise CheckFailed(message)


class Runner:
    """Runs named checks, prints one line each and a closing count."""

    def __init__(self, only: str | None = None) -> None:
        self.only = only
        self.passed = 0
        self.failed: list[str] = []
        self.skipped: list[str] = []

    def check(self, name: str, fn: Callable[[], None]) -> None:
        if self.only and self.only not in name:
            return
        try:
            fn()
        except CheckFailed as e:
            self.failed.append(name)
            print(f"FAIL  {name}\n      {e}", flush=True)
        except Exception:  # a crash in a check is a failure, with its trace
            self.failed.append(name)
            print(f"FAIL  {name} (crashed)\n{traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok    {name}", flush=True)

    def skip(self, name: str, why: str) -> None:
        if self.only and self.only not in name:
            return
        self.skipped.append(name)
        print(f"SKIP  {name}: {why}", flush=True)

    def summary(self) -> int:
        for name in self.failed:
            print(f"failed: {name}")
        line = f"deploy: {self.passed} passed, {len(self.failed)} failed"
        if self.skipped:
            line += f", {len(self.skipped)} skipped"
        print(line, flush=True)
        return 1 if self.failed else 0


def _variable_constants() -> dict[str, str]:
    """Constant name to variable name, from the table in src/config/variables.rs."""
    text = (REPO / "src" / "config" / "variables.rs").read_text()
    constants = dict(re.findall(r'\b([A-Z][A-Z0-9_]*)\s*=\s*"(LOGWARD_[A-Z0-9_]+)"', text))
    expect(constants, "found no LOGWARD_* variables in src/config/variables.rs")
    return constants


def logward_variables() -> set[str]:
    """Every LOGWARD_* variable the gateway reads."""
    return set(_variable_constants().values())


def variable_ranges() -> dict[str, tuple[int, int]]:
    """The whole-number variables and the bounds logward enforces for them,
    from the `src.ranged(var::NAME, default, min, max)` calls in src/config."""
    constants = _variable_constants()
    ranges: dict[str, tuple[int, int]] = {}
    pattern = re.compile(r"ranged\(\s*var::(\w+),\s*[^,]+,\s*([\d_]+),\s*([\d_]+)\s*\)")
    for path in sorted((REPO / "src" / "config").rglob("*.rs")):
        for m in pattern.finditer(path.read_text()):
            name = constants.get(m.group(1))
            expect(name, f"{path.name}: var::{m.group(1)} is not in the variable table")
            ranges[name] = (
                int(m.group(2).replace("_", "")),
                int(m.group(3).replace("_", "")),
            )
    expect(ranges, "found no ranged(var::...) calls under src/config")
    return ranges
