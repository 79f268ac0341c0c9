"""The SQLite memory store: real files, migrations, permissions, corruption, resume."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from assistant.errors import StorageError
from assistant.memory.store import MIGRATIONS, MemoryStore, title_from


def test_messages_round_trip_with_labels_and_timings(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "data" / "a.db")
    cid = store.create_conversation()
    uid = store.add_message(cid, "user", "hello there", "voice")
    store.update_message(
        uid,
        intent="chat",
        sentiment_label="positive",
        sentiment_score=0.5,
        emotion="joy",
        slots={"x": 1},
    )
    rid = store.add_message(cid, "assistant", "hi!", timings={"llm": 12.5}, interrupted=1)
    messages = store.messages(cid)
    assert [m.id for m in messages] == [uid, rid]
    user, reply = messages
    assert (user.source, user.intent, user.sentiment_label, user.emotion) == (
        "voice",
        "chat",
        "positive",
        "joy",
    )
    assert user.slots == {"x": 1}
    assert reply.timings == {"llm": 12.5} and reply.interrupted
    assert store.get_conversation(cid).title == "hello there"  # type: ignore[union-attr]


def test_schema_version_and_wal(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "a.db")
    assert store.schema_version == len(MIGRATIONS)
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_private_permissions(tmp_path: Path) -> None:
    folder = tmp_path / "private"
    MemoryStore(folder / "a.db")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "a.db").stat().st_mode) == 0o600


def test_resume_last_conversation_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = MemoryStore(path)
    store.create_conversation()
    second = store.create_conversation()
    store.add_message(second, "user", "remember me")
    store.close()
    again = MemoryStore(path)
    assert again.current_conversation() == second
    assert again.messages(second)[0].text == "remember me"


def test_corrupt_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = MemoryStore(path)
    assert store.notices and "moved" in store.notices[0]
    assert list(tmp_path.glob("a.db.corrupt-*"))
    cid = store.create_conversation()
    store.add_message(cid, "user", "fresh start")
    assert store.integrity_ok()


def test_unwritable_data_directory_gives_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("x")
        target = blocker / "sub" / "a.db"  # a file in the way: fails even for root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "sub" / "a.db"
    with pytest.raises(StorageError, match="data directory"):
        MemoryStore(target)


def test_search_escapes_wildcards_and_delete_cascades(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "a.db")
    cid = store.create_conversation()
    store.add_message(cid, "user", "100% sure about snake_case")
    store.add_message(cid, "user", "100 percent")
    assert [m.text for m in store.search_messages("100%")] == ["100% sure about snake_case"]
    assert store.delete_conversation(cid)
    assert store.messages(cid) == []
    assert not store.delete_conversation(cid)


def test_facts(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "a.db")
    fid = store.add_fact("my sister's birthday is May 3rd", b"\x00\x01")
    assert [f.text for f in store.facts()] == ["my sister's birthday is May 3rd"]
    assert store.facts()[0].embedding == b"\x00\x01"
    assert store.delete_fact(fid)
    store.add_fact("a")
    store.add_fact("b")
    assert store.delete_all_facts() == 2


def test_title_is_one_line_cut_at_a_word() -> None:
    assert title_from("hello\nworld") == "hello world"
    long = "word " * 30
    assert title_from(long).endswith("…") and len(title_from(long)) <= 49


def test_conversation_ids_are_not_reused_after_delete(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "a.db")
    first = store.create_conversation()
    second = store.create_conversation()
    store.delete_conversation(second)
    third = store.create_conversation()
    assert third not in (first, second) and third > second


def test_trash_restore_and_purge(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = MemoryStore(path)
    keep = store.create_conversation()
    store.add_message(keep, "user", "keep this one")
    gone = store.create_conversation()
    store.add_message(gone, "user", "a secret plan")
    assert store.trash_conversation(gone)
    assert not store.trash_conversation(gone)  # already in the trash
    assert [c.id for c in store.list_conversations()] == [keep]
    assert store.get_conversation(gone) is None
    assert store.search_messages("secret") == []
    assert store.current_conversation() not in (gone,)  # never resumed from the trash
    trashed = store.trashed_conversations()
    assert [c.id for c in trashed] == [gone] and trashed[0].deleted_at is not None
    store.close()
    # the trash survives a restart (a crash during the undo window loses nothing)
    store = MemoryStore(path)
    assert store.restore_conversation(gone)
    assert not store.restore_conversation(gone)
    assert [m.text for m in store.search_messages("secret")] == ["a secret plan"]
    assert store.trash_conversation(gone)
    assert store.purge_trash(older_than_days=1) == 0  # too recent
    assert store.purge_trash(older_than_days=0) == 1
    assert store.trashed_conversations() == [] and store.messages(gone) == []
    assert [c.id for c in store.list_conversations(include_trash=True)][-1] == keep


def test_a_database_of_schema_3_gets_the_trash_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(";".join(MIGRATIONS[:3]) + "; PRAGMA user_version = 3;")
    conn.execute("INSERT INTO conversations(title, created_at, updated_at) VALUES ('old', 0, 0)")
    conn.execute(
        "INSERT INTO messages(conversation_id, role, text, created_at) "
        "VALUES (1, 'user', 'written by the old version', 0)"
    )
    conn.commit()
    conn.close()
    store = MemoryStore(path)
    assert store.schema_version == len(MIGRATIONS) >= 4
    (old,) = store.list_conversations()
    assert (old.title, old.message_count, old.deleted_at) == ("old", 1, None)
    assert store.trash_conversation(1) and store.trashed_conversations()[0].title == "old"
    store.close()
