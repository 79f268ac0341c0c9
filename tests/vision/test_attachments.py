"""Images stored with their message: private files, removed with the conversation."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from assistant.errors import StorageError
from assistant.memory import store as store_module
from assistant.memory.store import MemoryStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_attachment_is_private_and_listed(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "data" / "assistant.db")
    conv = store.create_conversation()
    msg = store.add_message(conv, "user", "what does this say?", "image")
    att = store.add_attachment(msg, b"\x89PNG fake", "png", text="hello")
    assert att.path == tmp_path / "data" / "images" / str(conv) / f"{msg}.png"
    assert att.path.read_bytes() == b"\x89PNG fake"
    assert mode(att.path) == 0o600
    assert mode(att.path.parent) == 0o700 and mode(att.path.parent.parent) == 0o700
    listed = store.attachments(conv)
    assert list(listed) == [msg] and listed[msg][0].text == "hello"
    store.close()


def test_deleting_the_conversation_removes_its_images(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "assistant.db")
    keep, drop = store.create_conversation(), store.create_conversation()
    kept = store.add_attachment(store.add_message(keep, "user", "a"), b"1", "png")
    dropped = store.add_attachment(store.add_message(drop, "user", "b"), b"2", "jpg")
    assert store.delete_conversation(drop)
    assert not dropped.path.exists() and not dropped.path.parent.exists()
    assert kept.path.exists()
    assert store.attachments(drop) == {}
    store.close()


def test_retention_removes_images_too(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "assistant.db")
    conv = store.create_conversation()
    att = store.add_attachment(store.add_message(conv, "user", "a"), b"1", "png")
    store._execute("UPDATE conversations SET updated_at = 0")
    assert store.delete_older_than(1) == 1
    assert not att.path.exists()
    store.close()


def test_unknown_message_is_refused(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "assistant.db")
    with pytest.raises(StorageError, match="no message 99"):
        store.add_attachment(99, b"x", "png")
    store.close()


def test_a_database_of_schema_1_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(store_module.MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO conversations(title, created_at, updated_at) VALUES ('t', 0, 0)")
    conn.execute(
        "INSERT INTO messages(conversation_id, role, text, created_at) "
        "VALUES (1, 'user', 'old message', 0)"
    )
    conn.commit()
    conn.close()
    store = MemoryStore(path)
    assert store.schema_version == len(store_module.MIGRATIONS)
    att = store.add_attachment(1, b"x", "png")
    assert store.attachments(1)[1][0].id == att.id
    store.close()
