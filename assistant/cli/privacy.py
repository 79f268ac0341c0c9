"""`assistant forget --all`: remove everything the assistant keeps about the user."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from assistant.errors import AssistantError


def register(subparsers: Any) -> None:
    forget = subparsers.add_parser(
        "forget",
        help="remove everything about you: conversations, facts, timers, images, input "
        "history, logs",
    )
    forget.add_argument(
        "--all",
        action="store_true",
        required=True,
        help="everything (required: there is no partial forget here; "
        "`assistant history delete ID` removes one conversation)",
    )
    forget.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(func=run_forget)


def run_forget(args: argparse.Namespace) -> int:
    from assistant import paths
    from assistant.memory.store import MemoryStore
    from assistant.privacy import forget_everything

    if not args.yes:
        if not sys.stdin.isatty():
            raise AssistantError("forget --all removes everything about you; add --yes to confirm.")
        answer = input("Remove every conversation, fact, timer, image and log? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was removed.")
            return 1
    store = MemoryStore(paths.database_file())
    try:
        report = forget_everything(store)
    finally:
        store.close()
    print(report.summary())
    return 0
