"""Helpers shared by the sub-commands."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()


def print_result(data: Any, compact: bool) -> None:
    """A benchmark's JSON: one line with ``--json`` (for scripts), indented otherwise."""
    if compact:
        print_json(data)
    else:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
