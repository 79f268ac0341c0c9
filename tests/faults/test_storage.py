"""Fault matrix, storage rows: a corrupt, locked, read-only or full database, and kill -9 in the
middle of a reply. Each: a clear one-line message, the app keeps working where it can, and no
acknowledged message is lost."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import StorageError
from assistant.memory.store import MemoryStore
from tests.faults.conftest import Rig


def _cli(
    args: list[str], env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ASSISTANT_LLM_BACKEND="fake", **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_corrupt_database_is_set_aside_and_the_app_answers(tmp_path: Path) -> None:
    rig = Rig(tmp_path / "data" / "assistant" / "assistant.db")
    rig.engine.handle("the words before the damage")
    rig.store.close()
    db = rig.store.path
    with db.open("r+b") as fh:  # overwrite the header and the first pages
        fh.write(b"\x00garbage" * 2048)
    done = _cli(["ask", "are you still there"])
    assert done.returncode == 0, done.stderr
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout.strip()
    aside = list(db.parent.glob("assistant.db.corrupt-*"))
    assert aside, "the damaged file must be kept for recovery, not deleted"
    assert MemoryStore(db).integrity_ok()


def test_database_locked_by_another_process(rig: Rig) -> None:
    rig.engine.handle("first message")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(rig.store.path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StorageError, match="locked by another program"):
            rig.engine.handle("second message")
    finally:
        holder.kill()
        holder.wait()
    rig.engine.handle("third message")  # works again once the other program lets go
    texts = [t for _, t in rig.texts()]
    assert texts[0] == "first message" and "third message" in texts
    assert rig.store.integrity_ok()


def test_read_only_database(rig: Rig) -> None:
    rig.engine.handle("kept message")
    rig.store._conn.execute("PRAGMA query_only = ON")  # what SQLite reports for a read-only file
    with pytest.raises(StorageError, match="read-only"):
        rig.engine.handle("cannot be stored")
    rig.store._conn.execute("PRAGMA query_only = OFF")
    rig.engine.handle("stored again")
    assert [t for _, t in rig.texts()][:2] == ["kept message", "Fine, thanks."]


def _make_read_only(paths: list[Path]) -> None:
    """chmod for a user; root ignores permissions, so root marks the files immutable."""
    for p in paths:
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode:
                pytest.skip("root, and chattr +i is not supported here")
        else:
            os.chmod(p, 0o500 if p.is_dir() else 0o400)


def _make_writable(paths: list[Path]) -> None:
    for p in paths:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)
        os.chmod(p, 0o700 if p.is_dir() else 0o600)


def test_read_only_files_via_the_command(tmp_path: Path) -> None:
    """A real read-only data folder: a clear message, and reading the history still works."""
    env = {"XDG_DATA_HOME": str(tmp_path / "ro")}
    assert _cli(["ask", "hello"], env).returncode == 0
    folder = tmp_path / "ro" / "assistant"
    frozen = [p for p in folder.rglob("*") if p.is_file()] + [folder]
    _make_read_only(frozen)
    try:
        done = _cli(["ask", "hello again"], env)
        assert done.returncode != 0
        assert "Traceback" not in done.stderr
        assert "writable" in done.stderr or "read-only" in done.stderr, done.stderr
    finally:
        _make_writable(frozen)
    listing = _cli(["history", "export", "--all", "--format", "json"], env)
    assert "hello" in listing.stdout


def test_disk_full(rig: Rig) -> None:
    rig.engine.handle("before the disk filled up")
    pages = rig.store._conn.execute("PRAGMA page_count").fetchone()[0]
    rig.store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageError, match=r"disk .* is full"):
        for i in range(200):  # until the free space inside the last pages is used up
            rig.engine.handle(f"message {i} " + "x" * 2000)
    rig.store._conn.execute("PRAGMA max_page_count = 1073741823")  # space was freed
    rig.engine.handle("after freeing space")
    texts = [t for _, t in rig.texts()]
    assert texts[0] == "before the disk filled up" and texts[-2] == "after freeing space"
    assert rig.store.integrity_ok()


def test_disk_full_while_saving_an_image(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    result = rig.engine.handle("look at this picture")

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("assistant.memory.store.os.open", full)
    with pytest.raises(StorageError, match="No space left on device"):
        rig.store.add_attachment(result.user_message_id, b"\x89PNG...", "png")
    monkeypatch.undo()
    assert [t for _, t in rig.texts()] == ["look at this picture", "Fine, thanks."]


# A child process that runs turns with a slow scripted model, acknowledging each stored message
# on stdout the moment the store returns (that is what the user sees in the window).
CHILD = r"""
import json, sys
from pathlib import Path
from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import EventBus, ReplyDone, ReplyToken, UserText
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore

bus = EventBus()
def ack(event):
    if isinstance(event, UserText):
        print(json.dumps({"id": event.message_id, "text": event.text}), flush=True)
    elif isinstance(event, ReplyDone):
        print(json.dumps({"id": event.message_id, "text": event.text}), flush=True)
    elif isinstance(event, ReplyToken):
        print("token", flush=True)
bus.subscribe(ack)
store = MemoryStore(Path(sys.argv[1]))
llm = FakeLanguageModel("word " * 400, delay_s=0.01)
engine = ConversationEngine(store=store, llm=llm, config=Config(), bus=bus)
for line in sys.stdin:
    engine.handle(line.strip())
"""


def test_kill_9_during_a_reply_loses_no_acknowledged_message(tmp_path: Path) -> None:
    db = tmp_path / "data" / "assistant.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdin is not None and child.stdout is not None
    acknowledged: dict[int, str] = {}
    try:
        for turn in range(4):
            child.stdin.write(f"message number {turn}\n")
            child.stdin.flush()
            tokens = 0
            while True:
                line = child.stdout.readline()
                assert line, "the child stopped"
                if line.startswith("token"):
                    tokens += 1
                    if turn == 3 and tokens == 50:
                        break  # in the middle of the last reply
                    continue
                entry = json.loads(line)
                acknowledged[entry["id"]] = entry["text"]
                if len(acknowledged) == 2 * turn + 2:
                    break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert len(acknowledged) == 7  # 3 full turns and the last user message
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(conn.execute("SELECT id, text FROM messages").fetchall())
    finally:
        conn.close()
    for message_id, text in acknowledged.items():
        assert stored.get(message_id, "").strip() == text.strip()
    store = MemoryStore(db)  # and the app opens it as usual
    assert store.integrity_ok() and not store.notices
    time.sleep(0)  # nothing pending
