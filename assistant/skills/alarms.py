"""Timers and reminders: rows in SQLite (survive a restart) and the thread that fires them.

``AlarmBook`` reads and writes the ``alarms`` table. ``AlarmScheduler`` is a daemon thread that
sleeps until the next alarm is due (or until a new one is added), marks it fired, emits a
``Notice`` (the window shows a desktop notification) and has the engine ``announce`` it (a
reply of its own: shown in the chat, spoken by the voice loop). Alarms that fell due while the
app was closed fire as soon as it starts.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant.events import AlarmFired, EventBus, Notice
from assistant.memory.store import MemoryStore

log = logging.getLogger(__name__)

AlarmKind = Literal["timer", "reminder"]
MAX_WAIT_S = 30.0  # re-check at least this often (the clock may jump after a suspend)


@dataclass(frozen=True)
class Alarm:
    id: int
    kind: AlarmKind
    label: str
    due_at: float
    created_at: float
    duration_s: int | None
    state: str

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.due_at - now)


def _alarm(r: sqlite3.Row) -> Alarm:
    return Alarm(
        r["id"], r["kind"], r["label"], r["due_at"], r["created_at"], r["duration_s"], r["state"]
    )


class AlarmBook:
    """The timers and reminders in the database; ``changed`` wakes the scheduler."""

    def __init__(self, store: MemoryStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.changed = threading.Event()

    def add(
        self, kind: AlarmKind, due_at: float, label: str = "", duration_s: int | None = None
    ) -> Alarm:
        now = self.clock()
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO alarms(kind, label, due_at, created_at, duration_s) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, label, due_at, now, duration_s),
            )
            alarm_id = int(cur.lastrowid or 0)
        self.changed.set()
        return Alarm(alarm_id, kind, label, due_at, now, duration_s, "pending")

    def pending(self, kind: AlarmKind | None = None) -> list[Alarm]:
        sql = "SELECT * FROM alarms WHERE state = 'pending'"
        params: tuple[str, ...] = ()
        if kind is not None:
            sql += " AND kind = ?"
            params = (kind,)
        with self.store.transaction() as conn:
            rows = conn.execute(sql + " ORDER BY due_at, id", params).fetchall()
        return [_alarm(r) for r in rows]

    def cancel(self, alarm_ids: list[int]) -> int:
        if not alarm_ids:
            return 0
        marks = ",".join("?" for _ in alarm_ids)
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE alarms SET state = 'cancelled' WHERE state = 'pending' "
                f"AND id IN ({marks})",
                alarm_ids,
            )
        self.changed.set()
        return cur.rowcount

    def get(self, alarm_id: int) -> Alarm | None:
        with self.store.transaction() as conn:
            row = conn.execute("SELECT * FROM alarms WHERE id = ?", (alarm_id,)).fetchone()
        return None if row is None else _alarm(row)

    def restore(self, alarm_ids: list[int]) -> list[Alarm]:
        """Undo a cancel: cancelled alarms that are still in the future ring again."""
        if not alarm_ids:
            return []
        marks = ",".join("?" for _ in alarm_ids)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE alarms SET state = 'pending' WHERE state = 'cancelled' AND due_at > ? "
                f"AND id IN ({marks})",
                (self.clock(), *alarm_ids),
            )
            rows = conn.execute(
                f"SELECT * FROM alarms WHERE state = 'pending' AND id IN ({marks}) ORDER BY due_at",
                alarm_ids,
            ).fetchall()
        self.changed.set()
        return [_alarm(r) for r in rows]

    def reschedule(self, alarm_id: int, due_at: float, duration_s: int | None) -> Alarm | None:
        """Move a pending alarm ("make it fifteen", "push it back 10 minutes")."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE alarms SET due_at = ?, duration_s = ? WHERE id = ? AND state = 'pending'",
                (due_at, duration_s, alarm_id),
            )
        self.changed.set()
        alarm = self.get(alarm_id)
        return alarm if alarm is not None and alarm.state == "pending" else None

    def take_due(self) -> list[Alarm]:
        """Mark every alarm that is due as fired and return them (each fires once)."""
        now = self.clock()
        with self.store.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM alarms WHERE state = 'pending' AND due_at <= ? ORDER BY due_at",
                (now,),
            ).fetchall()
            conn.executemany(
                "UPDATE alarms SET state = 'fired', fired_at = ? WHERE id = ?",
                [(now, r["id"]) for r in rows],
            )
        return [_alarm(r) for r in rows]

    def next_due(self) -> float | None:
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT MIN(due_at) AS due FROM alarms WHERE state = 'pending'"
            ).fetchone()
        return None if row is None or row["due"] is None else float(row["due"])


def alert_text(alarm: Alarm, now: float) -> str:
    late = now - alarm.due_at > 60
    if alarm.kind == "reminder":
        text = f"Reminder: {alarm.label}." if alarm.label else "This is your reminder."
    else:
        name = f"{alarm.label} timer" if alarm.label else "timer"
        if alarm.duration_s and not alarm.label:
            name = f"{duration_adjective(alarm.duration_s)} timer"
        text = f"Time's up! Your {name} has finished."
    if late:
        text += " (It fell due while I was not running.)"
    return text


def describe_duration(seconds: float) -> str:
    """90 → '1 minute 30 seconds', 3600 → '1 hour'."""
    whole = round(seconds)
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        amount, whole = divmod(whole, size)
        if amount:
            parts.append(f"{amount} {name}{'s' if amount != 1 else ''}")
    return " ".join(parts[:2]) or "0 seconds"


def duration_adjective(seconds: float) -> str:
    """90 → '1 minute 30 second' (as in 'the 1 minute 30 second timer')."""
    return re.sub(r"\b(day|hour|minute|second)s\b", r"\1", describe_duration(seconds))


class AlarmScheduler:
    """Fires due alarms on a daemon thread; ``start``/``stop`` are idempotent."""

    def __init__(self, book: AlarmBook, bus: EventBus) -> None:
        self.book = book
        self.bus = bus
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="alarms", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.book.changed.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def fire_due(self) -> list[Alarm]:
        """Fire what is due now (the thread calls this; tests may too)."""
        fired = self.book.take_due()
        now = self.book.clock()
        for alarm in fired:
            text = alert_text(alarm, now)
            self.bus.emit(Notice(text, kind=alarm.kind))  # the window's desktop notification
            self.bus.emit(AlarmFired(alarm.kind, text))  # the engine's spoken announcement
        return fired

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.fire_due()
                due = self.book.next_due()
            except Exception:  # a locked or closed database must not kill the thread
                log.exception("alarm check failed")
                due = None
            wait = MAX_WAIT_S if due is None else min(MAX_WAIT_S, max(0.0, due - self.book.clock()))
            self.book.changed.wait(wait)
            self.book.changed.clear()
