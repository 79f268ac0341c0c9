"""`assistant history list|show|export|delete`."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.errors import AssistantError, StorageError
from assistant.memory.store import Conversation, MemoryStore


def register(subparsers: Any) -> None:
    history = subparsers.add_parser("history", help="list, show, export or delete conversations")
    sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="list conversations, newest first")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=run_list)
    show = sub.add_parser("show", help="show a conversation with sentiment and emotion labels")
    show.add_argument("id", type=int)
    show.set_defaults(func=run_show)
    export = sub.add_parser("export", help="export a conversation (or --all) to Markdown or JSON")
    export.add_argument("id", type=int, nargs="?")
    export.add_argument(
        "--all", action="store_true", help="every conversation, plus the facts and the timers"
    )
    export.add_argument("--format", choices=("md", "json"), default="md")
    export.add_argument("-o", "--output", type=Path, help="write to this file (default stdout)")
    export.set_defaults(func=run_export)
    delete = sub.add_parser("delete", help="delete a conversation")
    delete.add_argument("id", type=int)
    delete.set_defaults(func=run_delete)


def _store() -> MemoryStore:
    from assistant import paths

    store = MemoryStore(paths.database_file())
    for notice in store.notices:
        print(f"assistant: {notice}", file=sys.stderr)
    return store


def _date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def format_conversations(conversations: list[Conversation], current: int | None = None) -> str:
    if not conversations:
        return "No conversations yet."
    rows = []
    for c in conversations:
        mark = "*" if c.id == current else " "
        title = c.title or "(empty)"
        rows.append(f"{mark}{c.id:>5}  {_date(c.updated_at)}  {c.message_count:>4} msgs  {title}")
    return "\n".join(rows)


def run_list(args: argparse.Namespace) -> int:
    store = _store()
    try:
        conversations = store.list_conversations()
        current = store.get_state("current_conversation")
        if args.json:
            print_json([c.__dict__ for c in conversations])
        else:
            print(format_conversations(conversations, int(current) if current else None))
    finally:
        store.close()
    return 0


def run_show(args: argparse.Namespace) -> int:
    from assistant.memory.export import labels

    store = _store()
    try:
        conversation = store.get_conversation(args.id)
        if conversation is None:
            raise StorageError(
                f"there is no conversation {args.id}; `assistant history list` shows them."
            )
        print(f"Conversation {conversation.id}: {conversation.title or '(empty)'}")
        for m in store.messages(args.id):
            who = "you" if m.role == "user" else "assistant"
            meta = f"{m.source}, {labels(m)}" if m.role == "user" else ""
            if m.interrupted:
                meta = "interrupted"
            suffix = f"  [{meta}]" if meta else ""
            print(f"\n{_date(m.created_at)}  {who}{suffix}\n{m.text}")
    finally:
        store.close()
    return 0


def run_export(args: argparse.Namespace) -> int:
    from assistant.memory.export import to_json, to_markdown
    from assistant.privacy import export_everything

    if args.all == (args.id is not None):
        raise AssistantError("history export: give a conversation ID or --all (not both).")
    store = _store()
    try:
        if args.all:
            text = export_everything(store, args.format)
        else:
            text = to_markdown(store, args.id) if args.format == "md" else to_json(store, args.id)
    finally:
        store.close()
    if args.output:
        try:
            args.output.write_text(text + "\n", encoding="utf-8")
        except OSError as err:
            raise AssistantError(f"cannot write {args.output}: {err.strerror}.") from None
        what = "every conversation" if args.all else f"conversation {args.id}"
        print(f"exported {what} to {args.output}")
    else:
        sys.stdout.write(text + "\n")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    store = _store()
    try:
        if not store.delete_conversation(args.id):
            raise StorageError(
                f"there is no conversation {args.id}; `assistant history list` shows them."
            )
    finally:
        store.close()
    print(f"deleted conversation {args.id}")
    return 0
