"""Export a conversation to Markdown or JSON (shared by the CLI and the window)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from assistant.errors import StorageError
from assistant.memory.store import Conversation, MemoryStore, Message


def _conversation(store: MemoryStore, conversation_id: int) -> Conversation:
    conversation = store.get_conversation(conversation_id)
    if conversation is None:
        raise StorageError(
            f"there is no conversation {conversation_id}; `assistant history list` shows them."
        )
    return conversation


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def labels(message: Message) -> str:
    """Intent, sentiment and emotion of a user message, e.g. ``chat · negative -0.62 · anger``."""
    parts = []
    if message.intent:
        parts.append(message.intent)
    if message.sentiment_label:
        score = f" {message.sentiment_score:+.2f}" if message.sentiment_score is not None else ""
        parts.append(f"{message.sentiment_label}{score}")
    if message.emotion and message.emotion != "neutral":
        parts.append(message.emotion)
    return " · ".join(parts)


def to_markdown(store: MemoryStore, conversation_id: int) -> str:
    conversation = _conversation(store, conversation_id)
    lines = [
        f"# {conversation.title or 'Conversation'}",
        "",
        f"Started {_when(conversation.created_at)}",
        "",
    ]
    for message in store.messages(conversation_id):
        who = "You" if message.role == "user" else "Assistant"
        mark = f" ({message.source})" if message.role == "user" else ""
        extra = " — interrupted" if message.interrupted else ""
        lines.append(f"**{who}**{mark} · {_when(message.created_at)}{extra}")
        lines.append("")
        lines.append(message.text)
        lines.append("")
    return "\n".join(lines)


def to_dict(store: MemoryStore, conversation_id: int) -> dict[str, Any]:
    conversation = _conversation(store, conversation_id)
    return {
        "conversation": asdict(conversation),
        "messages": [asdict(m) for m in store.messages(conversation_id)],
    }


def to_json(store: MemoryStore, conversation_id: int) -> str:
    return json.dumps(to_dict(store, conversation_id), ensure_ascii=False, indent=2)
