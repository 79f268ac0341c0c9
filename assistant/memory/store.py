"""Conversation memory in SQLite: conversations, messages, long-term facts.

stdlib ``sqlite3``, WAL, foreign keys, ``PRAGMA user_version`` migrations. Every write commits
at once, so an acknowledged message survives a crash. A corrupt file is moved aside (with a
message) and a fresh database is created; the data directory is 0700 and the files 0600.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import StorageError
from assistant.paths import ensure_private_dir

log = logging.getLogger(__name__)

# Each entry upgrades the schema by one version; never edit a released entry, append a new one.
MIGRATIONS: list[str] = [
    # 1: conversations, messages, facts, key/value state
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        source TEXT NOT NULL DEFAULT 'typed',
        intent TEXT,
        intent_confidence REAL,
        slots TEXT,
        sentiment_label TEXT,
        sentiment_score REAL,
        emotion TEXT,
        timings TEXT,
        interrupted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE TABLE facts (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        created_at REAL NOT NULL,
        embedding BLOB,
        source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: images shared with a message (file in data_dir/images/<conversation>/), their text
    """
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'image',
        text TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL
    );
    CREATE INDEX attachments_by_message ON attachments(message_id);
    """,
    # 3: timers and reminders (assistant/skills/alarms.py); they outlive conversations
    """
    CREATE TABLE alarms (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('timer', 'reminder')),
        label TEXT NOT NULL DEFAULT '',
        due_at REAL NOT NULL,
        created_at REAL NOT NULL,
        duration_s INTEGER,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
        fired_at REAL
    );
    CREATE INDEX alarms_by_due ON alarms(state, due_at);
    """,
    # 4: the trash: a deleted conversation is kept (restorable) until purged after TRASH_DAYS
    """
    ALTER TABLE conversations ADD COLUMN deleted_at REAL;
    CREATE INDEX conversations_by_deleted ON conversations(deleted_at);
    """,
]

TRASH_DAYS = 30  # a conversation in the trash is deleted for good after this many days


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: float
    updated_at: float
    message_count: int = 0
    deleted_at: float | None = None  # in the trash since then (None: not deleted)


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    text: str
    created_at: float
    source: str = "typed"
    intent: str | None = None
    intent_confidence: float | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    sentiment_label: str | None = None
    sentiment_score: float | None = None
    emotion: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    interrupted: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file shared with a message (an image), stored privately in the data directory."""

    id: int
    message_id: int
    path: Path
    kind: str
    text: str  # what was read from it (OCR), "" when nothing


@dataclass(frozen=True)
class NewAttachment:
    """A file to store with a new message."""

    data: bytes
    suffix: str
    text: str = ""
    kind: str = "image"


@dataclass(frozen=True)
class Fact:
    id: int
    text: str
    created_at: float
    embedding: bytes | None = None


_MESSAGE_COLUMNS = (
    "id, conversation_id, role, text, created_at, source, intent, intent_confidence, slots, "
    "sentiment_label, sentiment_score, emotion, timings, interrupted"
)


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        text=row["text"],
        created_at=row["created_at"],
        source=row["source"],
        intent=row["intent"],
        intent_confidence=row["intent_confidence"],
        slots=json.loads(row["slots"]) if row["slots"] else {},
        sentiment_label=row["sentiment_label"],
        sentiment_score=row["sentiment_score"],
        emotion=row["emotion"],
        timings=json.loads(row["timings"]) if row["timings"] else {},
        interrupted=bool(row["interrupted"]),
    )


def title_from(text: str, limit: int = 48) -> str:
    """A conversation title from its first message: one line, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
    return cut + "…"


class MemoryStore:
    """One SQLite file; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self._lock = threading.RLock()
        self._conn = self._open()

    # --- opening, migrations, corruption --------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            ensure_private_dir(self.path.parent)
        except OSError as err:
            raise StorageError(
                f"cannot create the data directory {self.path.parent}: {err.strerror}; "
                "make it writable or set XDG_DATA_HOME to a writable place."
            ) from None
        try:
            conn = self._connect()
            self._migrate(conn)
            return conn
        except sqlite3.DatabaseError as err:
            if not _is_corruption(err):
                raise StorageError(f"cannot open the database {self.path}: {err}") from None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                os.replace(part, Path(str(aside) + suffix))
        self.notices.append(
            f"The database was damaged; it was moved to {aside} and a new one was started."
        )
        log.warning("corrupt database moved to %s", aside)
        conn = self._connect()
        self._migrate(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        new = not self.path.exists()
        try:
            conn = sqlite3.connect(
                self.path, check_same_thread=False, timeout=5.0, isolation_level=None
            )
        except sqlite3.OperationalError as err:
            raise StorageError(
                f"cannot open the database {self.path}: {err}; check that the "
                "data directory is writable."
            ) from None
        if new:
            os.chmod(self.path, 0o600)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            log.info("journal mode %s (WAL not available here)", mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            conn.close()
            raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")
        for suffix in ("-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                os.chmod(part, 0o600)
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StorageError(
                f"the database {self.path} was written by a newer version of the "
                f"assistant (schema {version}); upgrade the assistant."
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.execute("BEGIN")
            try:
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise _storage_error(self.path, err) from None
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self._rollback()  # SQLite already rolled back after SQLITE_FULL and the like
                raise _storage_error(self.path, err) from None
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
            except sqlite3.OperationalError as err:
                raise _storage_error(self.path, err) from None

    # --- conversations --------------------------------------------------------------------

    def create_conversation(self, title: str = "") -> int:
        """A new conversation; ids are never reused, even after the newest one was deleted."""
        now = time.time()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM conversations), 0), "
                "COALESCE((SELECT CAST(value AS INTEGER) FROM state "
                "WHERE key = 'last_conversation_id'), 0)) + 1"
            ).fetchone()
            conversation_id = int(row[0])
            conn.execute(
                "INSERT INTO conversations(id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (conversation_id, title, now, now),
            )
            for key in ("last_conversation_id", "current_conversation"):
                conn.execute(
                    "INSERT INTO state(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, str(conversation_id)),
                )
        return conversation_id

    def current_conversation(self) -> int:
        """The conversation to resume: the last one used, or a new one."""
        value = self.get_state("current_conversation")
        if value is not None and self.get_conversation(int(value)) is not None:
            return int(value)
        return self.create_conversation()

    def set_current_conversation(self, conversation_id: int) -> None:
        if self.get_conversation(conversation_id) is None:
            raise StorageError(
                f"there is no conversation {conversation_id}; `assistant history list` shows them."
            )
        self.set_state("current_conversation", str(conversation_id))

    def get_conversation(self, conversation_id: int) -> Conversation | None:
        """The conversation, None when there is none or it is in the trash."""
        row = self._execute(
            f"{_CONVERSATION_SELECT} WHERE c.id = ? AND c.deleted_at IS NULL", (conversation_id,)
        ).fetchone()
        return _conversation(row) if row else None

    def list_conversations(
        self, limit: int | None = None, include_trash: bool = False
    ) -> list[Conversation]:
        """Newest first; those in the trash only with ``include_trash``."""
        sql = _CONVERSATION_SELECT
        if not include_trash:
            sql += " WHERE c.deleted_at IS NULL"
        sql += " ORDER BY c.updated_at DESC, c.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_conversation(r) for r in self._execute(sql).fetchall()]

    def trashed_conversations(self) -> list[Conversation]:
        """The conversations in the trash, the last deleted first."""
        rows = self._execute(
            f"{_CONVERSATION_SELECT} WHERE c.deleted_at IS NOT NULL "
            "ORDER BY c.deleted_at DESC, c.id DESC"
        ).fetchall()
        return [_conversation(r) for r in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        self._execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))

    def trash_conversation(self, conversation_id: int) -> bool:
        """Move a conversation to the trash (committed at once: a crash loses nothing); it can be
        restored until it is purged. False when there is no such conversation outside the trash."""
        cur = self._execute(
            "UPDATE conversations SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            (time.time(), conversation_id),
        )
        return cur.rowcount > 0

    def restore_conversation(self, conversation_id: int) -> bool:
        """Take a conversation out of the trash. False when it is not in the trash."""
        cur = self._execute(
            "UPDATE conversations SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL",
            (conversation_id,),
        )
        return cur.rowcount > 0

    def purge_trash(self, older_than_days: float = TRASH_DAYS) -> int:
        """Delete for good the conversations in the trash for longer than ``older_than_days``
        (0: the whole trash)."""
        cutoff = time.time() - older_than_days * 86400
        rows = self._execute(
            "SELECT id FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
            (cutoff,),
        ).fetchall()
        return sum(self.delete_conversation(int(row["id"])) for row in rows)

    def delete_conversation(self, conversation_id: int) -> bool:
        """Delete for good (in the trash or not), with its files."""
        cur = self._execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        self._remove_files(conversation_id)
        return cur.rowcount > 0

    def delete_older_than(self, days: int) -> int:
        """Retention: remove conversations not touched in ``days`` days."""
        cutoff = time.time() - days * 86400
        old = self._execute("SELECT id FROM conversations WHERE updated_at < ?", (cutoff,))
        ids = [row["id"] for row in old.fetchall()]
        cur = self._execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,))
        for conversation_id in ids:
            self._remove_files(conversation_id)
        return cur.rowcount

    # --- messages -------------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        role: str,
        text: str,
        source: str = "typed",
        attachments: Sequence[NewAttachment] = (),
        **extra: Any,
    ) -> int:
        """Store a message and the files shared with it, in one transaction (no message
        without its image, no image without its message)."""
        now = time.time()
        slots = extra.pop("slots", None)
        timings = extra.pop("timings", None)
        columns = ["conversation_id", "role", "text", "created_at", "source"]
        values: list[Any] = [conversation_id, role, text, now, source]
        if slots is not None:
            columns.append("slots")
            values.append(json.dumps(slots, default=str))
        if timings is not None:
            columns.append("timings")
            values.append(json.dumps(timings))
        for key, value in extra.items():
            if key not in _UPDATABLE:
                raise ValueError(f"unknown message column {key}")
            columns.append(key)
            values.append(value)
        with self.transaction() as conn:
            cur = conn.execute(
                f"INSERT INTO messages({', '.join(columns)}) VALUES "
                f"({', '.join('?' for _ in values)})",
                values,
            )
            conn.execute(
                "UPDATE conversations SET updated_at = ?, "
                "title = CASE WHEN title = '' AND ? = 'user' THEN ? ELSE title END WHERE id = ?",
                (now, role, title_from(text), conversation_id),
            )
            message_id = int(cur.lastrowid or 0)
            for attachment in attachments:
                self._write_attachment(conn, conversation_id, message_id, attachment)
        return message_id

    def update_message(self, message_id: int, **fields: Any) -> None:
        """Fill in what is known after the message was stored (reply text, timings, labels)."""
        if not fields:
            return
        sets, values = [], []
        for key, value in fields.items():
            if key not in _UPDATABLE:
                raise ValueError(f"unknown message column {key}")
            if key in ("slots", "timings"):
                value = json.dumps(value, default=str)
            sets.append(f"{key} = ?")
            values.append(value)
        values.append(message_id)
        self._execute(f"UPDATE messages SET {', '.join(sets)} WHERE id = ?", values)

    def delete_messages(self, message_ids: Sequence[int]) -> int:
        """Remove messages (a withdrawn turn); the conversation's title, when one of them set
        it, is cleared so the next message names the conversation again."""
        ids = [int(i) for i in message_ids]
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT conversation_id, text FROM messages "
                f"WHERE id IN ({marks}) AND role = 'user'",
                ids,
            ).fetchall()
            for row in rows:
                conn.execute(
                    "UPDATE conversations SET title = '' WHERE id = ? AND title = ?",
                    (row["conversation_id"], title_from(row["text"])),
                )
            cur = conn.execute(f"DELETE FROM messages WHERE id IN ({marks})", ids)
        return cur.rowcount

    def get_message(self, message_id: int) -> Message | None:
        row = self._execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return _message(row) if row else None

    def messages(self, conversation_id: int, limit: int | None = None) -> list[Message]:
        """Messages of a conversation, oldest first (the newest ``limit`` when given)."""
        if limit is None:
            rows = self._execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
        else:
            rows = self._execute(
                f"SELECT * FROM (SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?"
                " ORDER BY id DESC LIMIT ?) ORDER BY id",
                (conversation_id, limit),
            ).fetchall()
        return [_message(r) for r in rows]

    def search_messages(self, query: str, limit: int = 200) -> list[Message]:
        """The newest messages containing ``query`` (any case), none from the trash."""
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE text LIKE ? ESCAPE '\\' "
            "AND conversation_id IN (SELECT id FROM conversations WHERE deleted_at IS NULL) "
            "ORDER BY id DESC LIMIT ?",
            (f"%{escaped}%", limit),
        ).fetchall()
        return [_message(r) for r in rows]

    # --- attachments (images) ------------------------------------------------------------

    @property
    def files_dir(self) -> Path:
        """Where shared files live: data_dir/images/<conversation id>/<message id>.<ext>."""
        return self.path.parent / "images"

    def add_attachment(
        self, message_id: int, data: bytes, suffix: str, text: str = "", kind: str = "image"
    ) -> Attachment:
        """Store a shared file with a message already stored (0600 file in a 0700 directory)."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise StorageError(f"there is no message {message_id} to attach the image to.")
            new = NewAttachment(data, suffix, text, kind)
            return self._write_attachment(conn, int(row["conversation_id"]), message_id, new)

    def _write_attachment(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        message_id: int,
        attachment: NewAttachment,
    ) -> Attachment:
        folder = self.files_dir / str(conversation_id)
        target = folder / f"{message_id}.{attachment.suffix.lstrip('.') or 'bin'}"
        try:
            ensure_private_dir(self.files_dir)
            ensure_private_dir(folder)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(attachment.data)
        except OSError as err:
            raise StorageError(f"cannot save the image in {folder}: {err.strerror}.") from None
        relative = str(target.relative_to(self.path.parent))
        cur = conn.execute(
            "INSERT INTO attachments(message_id, path, kind, text, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, relative, attachment.kind, attachment.text, time.time()),
        )
        return Attachment(
            int(cur.lastrowid or 0), message_id, target, attachment.kind, attachment.text
        )

    def attachments(self, conversation_id: int) -> dict[int, list[Attachment]]:
        """The files of a conversation, by message id."""
        rows = self._execute(
            "SELECT a.* FROM attachments a JOIN messages m ON m.id = a.message_id "
            "WHERE m.conversation_id = ? ORDER BY a.id",
            (conversation_id,),
        ).fetchall()
        found: dict[int, list[Attachment]] = {}
        for r in rows:
            found.setdefault(r["message_id"], []).append(
                Attachment(
                    r["id"], r["message_id"], self.path.parent / r["path"], r["kind"], r["text"]
                )
            )
        return found

    def _remove_files(self, conversation_id: int) -> None:
        folder = self.files_dir / str(int(conversation_id))
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)

    # --- facts ----------------------------------------------------------------------------

    def add_fact(
        self, text: str, embedding: bytes | None = None, source_message_id: int | None = None
    ) -> int:
        cur = self._execute(
            "INSERT INTO facts(text, created_at, embedding, source_message_id) VALUES (?,?,?,?)",
            (text, time.time(), embedding, source_message_id),
        )
        return int(cur.lastrowid or 0)

    def replace_keyed_fact(self, key: str, text: str, source_message_id: int | None = None) -> int:
        """Store a fact that replaces the earlier one with the same ``key`` (e.g. the name)."""
        state_key = f"fact:{key}"
        with self.transaction() as conn:
            old = conn.execute("SELECT value FROM state WHERE key = ?", (state_key,)).fetchone()
            if old is not None:
                conn.execute("DELETE FROM facts WHERE id = ?", (int(old["value"]),))
            cur = conn.execute(
                "INSERT INTO facts(text, created_at, source_message_id) VALUES (?, ?, ?)",
                (text, time.time(), source_message_id),
            )
            fact_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO state(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (state_key, str(fact_id)),
            )
        return fact_id

    def facts(self) -> list[Fact]:
        rows = self._execute("SELECT id, text, created_at, embedding FROM facts ORDER BY id")
        return [Fact(r["id"], r["text"], r["created_at"], r["embedding"]) for r in rows]

    def delete_fact(self, fact_id: int) -> bool:
        return self._execute("DELETE FROM facts WHERE id = ?", (fact_id,)).rowcount > 0

    def delete_all_facts(self) -> int:
        return self._execute("DELETE FROM facts").rowcount

    # --- small key/value state ------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        row = self._execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_state(self, key: str, value: str) -> None:
        self._execute(
            "INSERT INTO state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def erase_everything(self) -> None:
        """Delete every row (conversations, messages, facts, attachments, alarms, state) and
        overwrite the freed pages: secure_delete, VACUUM, then truncate the WAL."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA secure_delete = ON")
                with self.transaction() as conn:
                    for table in (
                        "attachments",
                        "messages",
                        "conversations",
                        "facts",
                        "alarms",
                        "state",
                    ):
                        conn.execute(f"DELETE FROM {table}")
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as err:
                raise _storage_error(self.path, err) from None
        shutil.rmtree(self.files_dir, ignore_errors=True)

    def integrity_ok(self) -> bool:
        return self._execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_UPDATABLE = {
    "text",
    "source",
    "intent",
    "intent_confidence",
    "slots",
    "sentiment_label",
    "sentiment_score",
    "emotion",
    "timings",
    "interrupted",
}


_CONVERSATION_SELECT = (
    "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS n "
    "FROM conversations c"
)


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        row["id"], row["title"], row["created_at"], row["updated_at"], row["n"], row["deleted_at"]
    )


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _is_corruption(err: sqlite3.DatabaseError) -> bool:
    text = str(err).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _storage_error(path: Path, err: sqlite3.OperationalError) -> StorageError:
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return StorageError(
            f"the database {path} is locked by another program; close the other "
            "assistant window and try again."
        )
    if "readonly" in text or "read-only" in text:
        return StorageError(
            f"the database {path} is read-only; make it writable (chmod u+w) and try again."
        )
    if "full" in text:
        return StorageError(f"the disk holding {path} is full; free some space and try again.")
    return StorageError(f"database error in {path}: {err}")
