"""Everything the assistant keeps about the user: export it all, or forget it all.

Shared by ``assistant history export --all``, ``assistant forget --all`` and the window. What is
kept lives in the data directory (XDG_DATA_HOME/assistant): the database (conversations,
messages, facts, image text, timers and reminders, state), the shared images, the chat input
history and the logs. Forgetting works on an open store, so the window can call it while running.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from assistant import paths
from assistant.memory.export import to_dict, to_markdown
from assistant.memory.store import MemoryStore

log = logging.getLogger(__name__)

CHAT_HISTORY = "chat_history"  # prompt_toolkit's input history of `assistant chat`


@dataclass
class ForgetReport:
    conversations: int
    messages: int
    facts: int
    alarms: int
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"Forgot {self.conversations} conversations ({self.messages} messages), "
            f"{self.facts} facts, {self.alarms} timers and reminders, and removed "
            f"{len(self.files)} files (images, input history, logs)."
        )


def _count(store: MemoryStore, table: str) -> int:
    with store.transaction() as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _user_files(data_dir: Path, database: Path) -> list[Path]:
    """Files about the user besides the live database: images, input history, old logs,
    copies of a damaged database."""
    found: list[Path] = []
    images = data_dir / "images"
    if images.is_dir():
        found += sorted(p for p in images.rglob("*") if p.is_file())
    history = data_dir / CHAT_HISTORY
    if history.exists():
        found.append(history)
    found += sorted(data_dir.glob(f"{database.name}.corrupt-*"))
    logs = paths.log_dir()
    if logs.is_dir():
        found += sorted(p for p in logs.iterdir() if p.is_file())
    return found


def forget_everything(store: MemoryStore) -> ForgetReport:
    """Remove everything about the user. The window calls this with its open store, then starts
    a new conversation (``engine.new_conversation()``)."""
    report = ForgetReport(
        conversations=_count(store, "conversations"),
        messages=_count(store, "messages"),
        facts=_count(store, "facts"),
        alarms=_count(store, "alarms"),
    )
    data_dir = store.path.parent
    report.files = _user_files(data_dir, store.path)
    store.erase_everything()  # also removes the images folder
    for path in report.files:
        if path.name == "assistant.log":
            # the logging handler keeps it open (append mode): emptying it is enough
            path.write_bytes(b"")
        else:
            path.unlink(missing_ok=True)
    log.info("forgot everything about the user")
    return report


def export_everything(store: MemoryStore, fmt: str) -> str:
    """Every conversation (oldest first) with its messages, plus the facts and alarms, as
    Markdown or JSON."""
    conversations = sorted(store.list_conversations(), key=lambda c: (c.created_at, c.id))
    if fmt == "json":
        with store.transaction() as conn:
            alarms = [dict(r) for r in conn.execute("SELECT * FROM alarms ORDER BY id")]
        data = {
            "conversations": [to_dict(store, c.id) for c in conversations],
            "facts": [
                {"id": f.id, "text": f.text, "created_at": f.created_at} for f in store.facts()
            ],
            "alarms": alarms,
        }
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    parts = [to_markdown(store, c.id) for c in conversations]
    facts = store.facts()
    if facts:
        parts.append("# Facts about you\n\n" + "\n".join(f"- {f.text}" for f in facts) + "\n")
    return "\n---\n\n".join(parts) if parts else "No conversations yet."
