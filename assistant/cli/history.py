"""`assistant history list|show|export|delete|trash|restore`. Deleting moves a conversation to
the trash, as in the window (restorable until it is purged after ``TRASH_DAYS``), unless
``--now``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.cli.common import print_json
from assistant.errors import AssistantError, StorageError
from assistant.memory.store import TRASH_DAYS, Conversation, MemoryStore


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
    delete = sub.add_parser(
        "delete", help=f"move a conversation to the trash (purged after {TRASH_DAYS} days)"
    )
    delete.add_argument("id", type=int)
    delete.add_argument("--now", action="store_true", help="delete it for good at once")
    delete.set_defaults(func=run_delete)
    trash = sub.add_parser("trash", help="list the conversations in the trash")
    trash.add_argument("--empty", action="store_true", help="delete them all for good")
    trash.set_defaults(func=run_trash)
    restore = sub.add_parser("restore", help="take a conversation out of the trash")
    restore.add_argument("id", type=int)
    restore.set_defaults(func=run_restore)


@contextmanager
def _store() -> Iterator[MemoryStore]:
    """The user's database, its notices said, closed at the end of the block."""
    from assistant import paths

    store = MemoryStore(paths.database_file())
    try:
        for notice in store.notices:
            print(f"assistant: {notice}", file=sys.stderr)
        yield store
    finally:
        store.close()


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
    with _store() as store:
        conversations = store.list_conversations()
        current = store.get_state("current_conversation")
        if args.json:
            print_json([c.__dict__ for c in conversations])
        else:
            print(format_conversations(conversations, int(current) if current else None))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from assistant.memory.export import labels

    with _store() as store:
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
    return 0


def run_export(args: argparse.Namespace) -> int:
    from assistant.memory.export import to_json, to_markdown
    from assistant.privacy import export_everything

    if args.all == (args.id is not None):
        raise AssistantError("history export: give a conversation ID or --all (not both).")
    with _store() as store:
        if args.all:
            text = export_everything(store, args.format)
        else:
            text = to_markdown(store, args.id) if args.format == "md" else to_json(store, args.id)
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
    with _store() as store:
        done = (store.delete_conversation if args.now else store.trash_conversation)(args.id)
        if not done:
            raise StorageError(
                f"there is no conversation {args.id}; `assistant history list` shows them"
                + ("" if args.now else " (and `assistant history trash` the deleted ones)")
                + "."
            )
    if args.now:
        print(f"deleted conversation {args.id} for good")
    else:
        print(
            f"moved conversation {args.id} to the trash: `assistant history restore {args.id}` "
            f"brings it back; it is deleted for good after {TRASH_DAYS} days"
        )
    return 0


def run_trash(args: argparse.Namespace) -> int:
    with _store() as store:
        if args.empty:
            print(f"deleted {store.purge_trash(0)} conversation(s) in the trash for good")
            return 0
        trashed = store.trashed_conversations()
        if not trashed:
            print("The trash is empty.")
        for c in trashed:
            deleted = _date(c.deleted_at or c.updated_at)
            title = c.title or "(empty)"
            print(f"{c.id:>6}  deleted {deleted}  {c.message_count:>4} msgs  {title}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    with _store() as store:
        if not store.restore_conversation(args.id):
            raise StorageError(
                f"conversation {args.id} is not in the trash; `assistant history trash` lists it."
            )
    print(f"restored conversation {args.id}")
    return 0
