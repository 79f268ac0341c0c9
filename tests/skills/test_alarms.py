"""Timers and reminders: stored in a real SQLite file, kept across a restart, fired once."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from assistant.events import AlarmFired, Event, EventBus, Notice
from assistant.memory.store import MemoryStore
from assistant.nlu.base import Intent
from assistant.skills.alarms import AlarmBook, AlarmScheduler, alert_text, describe_duration
from assistant.skills.base import SkillContext
from assistant.skills.reminders import ReminderSkill
from assistant.skills.timers import TimerCancelSkill, TimerSetSkill, TimerStatusSkill

START = datetime(2026, 3, 2, 10, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.t = START.timestamp()

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t)


def context(store: MemoryStore, clock: Clock) -> SkillContext:
    return SkillContext(store, store.current_conversation(), clock.now)


def test_timer_survives_a_restart_and_fires_once(tmp_path: Path) -> None:
    db = tmp_path / "assistant.db"
    clock = Clock()
    store = MemoryStore(db)
    reply = TimerSetSkill(AlarmBook(store, clock)).run(
        Intent("timer.set", 1.0, {"duration_s": 300, "label": "eggs"}), context(store, clock)
    )
    assert reply.text == "Okay, eggs timer set for 5 minutes."
    store.close()

    store = MemoryStore(db)  # the app restarted
    book = AlarmBook(store, clock)
    [timer] = book.pending()
    assert (timer.kind, timer.label, timer.duration_s) == ("timer", "eggs", 300)
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    scheduler = AlarmScheduler(book, bus)
    clock.t += 299
    assert scheduler.fire_due() == []
    clock.t += 1
    assert [a.id for a in scheduler.fire_due()] == [timer.id]
    assert scheduler.fire_due() == []  # only once
    text = "Time's up! Your eggs timer has finished."
    assert events == [Notice(text, "timer"), AlarmFired("timer", text)]
    assert book.pending() == []
    store.close()


def test_scheduler_thread_fires_a_real_timer(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "a.db")
    book = AlarmBook(store)
    fired = threading.Event()
    notices: list[Notice] = []
    bus = EventBus()

    def listen(event: Event) -> None:
        if isinstance(event, Notice):
            notices.append(event)
            fired.set()

    bus.subscribe(listen)
    scheduler = AlarmScheduler(book, bus)
    scheduler.start()
    try:
        import time

        book.add("reminder", time.time() + 0.3, "call your mom")
        assert fired.wait(5.0), "the reminder did not fire"
    finally:
        scheduler.stop()
    assert not scheduler.running
    assert notices[0].text == "Reminder: call your mom."
    store.close()


def test_overdue_alarm_fires_at_start_and_says_so(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore(tmp_path / "a.db")
    book = AlarmBook(store, clock)
    alarm = book.add("timer", clock.t + 60, "", 60)
    clock.t += 3600
    assert "fell due while I was not running" in alert_text(alarm, clock.t)
    assert alert_text(alarm, alarm.due_at) == "Time's up! Your 1 minute timer has finished."


def test_cancel_and_status(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore(tmp_path / "a.db")
    book = AlarmBook(store, clock)
    ctx = context(store, clock)
    status, cancel = TimerStatusSkill(book), TimerCancelSkill(book)
    assert status.run(Intent("timer.status"), ctx).text == "You have no timers running."
    assert cancel.run(Intent("timer.cancel"), ctx).text == "There's no timer running."
    TimerSetSkill(book).run(Intent("timer.set", 1, {"duration_s": 600, "label": "pasta"}), ctx)
    TimerSetSkill(book).run(Intent("timer.set", 1, {"duration_s": 90}), ctx)
    clock.t += 30
    assert status.run(Intent("timer.status"), ctx).text == (
        "You have 2 timers: the 1 minute 30 second timer has 1 minute left; "
        "the pasta timer has 9 minutes 30 seconds left."
    )
    assert (
        cancel.run(Intent("timer.cancel", 1, {"label": "rice"}), ctx).text
        == "I can't find a rice timer."
    )
    assert (
        cancel.run(Intent("timer.cancel", 1, {"label": "pasta"}), ctx).text
        == "Okay, I cancelled the pasta timer."
    )
    assert (
        cancel.run(Intent("timer.cancel"), ctx).text
        == "Okay, I cancelled the 1 minute 30 second timer."
    )
    assert book.pending() == []


def test_timer_needs_a_sensible_duration(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore(tmp_path / "a.db")
    skill, ctx = TimerSetSkill(AlarmBook(store, clock)), context(store, clock)
    assert skill.run(Intent("timer.set"), ctx).text.startswith("For how long?")
    assert (
        "longer than a week"
        in skill.run(Intent("timer.set", 1, {"duration_s": 8 * 86400}), ctx).text
    )
    assert AlarmBook(store, clock).pending() == []


def test_reminder(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore(tmp_path / "a.db")
    book = AlarmBook(store, clock)
    skill, ctx = ReminderSkill(book), context(store, clock)
    reply = skill.run(
        Intent("reminder.set", 1, {"when": "2026-03-02T18:00:00", "text": "call my mom"}), ctx
    )
    assert reply.text == "Okay, I'll remind you to call your mom at 6:00 PM today."
    [alarm] = book.pending("reminder")
    assert alarm.label == "call your mom"
    assert alarm.due_at == datetime(2026, 3, 2, 18).timestamp()
    assert skill.run(Intent("reminder.set", 1, {"text": "x"}), ctx).text.startswith("When")
    assert skill.run(
        Intent("reminder.set", 1, {"when": "2026-03-01T09:00:00", "text": "x"}), ctx
    ).text.startswith("That time has already passed")


def test_describe_duration() -> None:
    assert describe_duration(90) == "1 minute 30 seconds"
    assert describe_duration(3600) == "1 hour"
    assert describe_duration(90061) == "1 day 1 hour"
