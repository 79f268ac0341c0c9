"""`reminder.set`: a reminder at a moment, kept in the database and fired by the scheduler."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from assistant.dialogue.state import Question, Referent, Undo
from assistant.nlu.base import Intent
from assistant.skills.alarms import Alarm, AlarmBook
from assistant.skills.base import SkillContext, SkillReply
from assistant.skills.clock import spoken_moment

_PRONOUNS = {
    "my": "your",
    "i": "you",
    "i'm": "you're",
    "me": "you",
    "mine": "yours",
    "myself": "yourself",
    "i've": "you've",
    "i'll": "you'll",
    "i am": "you are",
    "i was": "you were",
}


def second_person(text: str) -> str:
    """'call my mom' → 'call your mom' (for saying the user's words back)."""
    return re.sub(
        r"\b(?:i'm|i've|i'll|i am|i was|myself|mine|my|me|i)\b",
        lambda m: _PRONOUNS[m.group(0).lower()],
        text,
        flags=re.IGNORECASE,
    )


WHEN = 'When should I remind you? Say, for example, "at 6 pm" or "in 20 minutes".'
WHAT = "What should I remind you about?"


def reminder_referent(alarm: Alarm) -> Referent:
    return Referent("reminder", alarm.id, created_at=alarm.created_at)


def referred_reminder(book: AlarmBook, intent: Intent) -> Alarm | None:
    """The pending reminder the ``ref`` slot names, else the next one due."""
    ref = intent.slots.get("ref")
    if isinstance(ref, int):
        alarm = book.get(ref)
        return alarm if alarm is not None and alarm.state == "pending" else None
    pending = book.pending("reminder")
    return pending[0] if pending else None


class ReminderSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        text = str(intent.slots.get("text") or "").strip()
        when = intent.slots.get("when")
        if not text:
            return SkillReply(WHAT, asks=Question("reminder.set", "text", WHAT, dict(intent.slots)))
        if not when:
            return SkillReply(WHEN, asks=Question("reminder.set", "when", WHEN, dict(intent.slots)))
        moment = datetime.fromisoformat(str(when))
        now = ctx.now()
        if moment <= now:
            return SkillReply(
                "That time has already passed; when should I remind you?",
                asks=Question("reminder.set", "when", WHEN, {"text": text}),
            )
        alarm = self.book.add("reminder", moment.timestamp(), second_person(text))
        return SkillReply(
            f"Okay, I'll remind you to {second_person(text)} at {spoken_moment(moment, now)}.",
            touched=(reminder_referent(alarm),),
            undo=Undo("cancel", (alarm.id,), f"the reminder to {alarm.label}"),
        )


class ReminderCancelSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        alarm = referred_reminder(self.book, intent)
        if alarm is None:
            return SkillReply("There's no reminder to cancel.")
        self.book.cancel([alarm.id])
        return SkillReply(
            f"Okay, I cancelled the reminder to {alarm.label}.",
            touched=(reminder_referent(alarm),),
            undo=Undo("restore", (alarm.id,), f"the reminder to {alarm.label}"),
        )


class ReminderStatusSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        now = ctx.now()
        alarms = self.book.pending("reminder")
        if isinstance(intent.slots.get("ref"), int):
            alarm = referred_reminder(self.book, intent)
            alarms = [alarm] if alarm is not None else []
        if not alarms:
            return SkillReply("You have no reminders coming up.")
        parts = [
            f"to {a.label} at {spoken_moment(datetime.fromtimestamp(a.due_at), now)}"
            for a in alarms
        ]
        if len(parts) == 1:
            return SkillReply(f"I'll remind you {parts[0]}.")
        return SkillReply(f"You have {len(parts)} reminders: " + "; ".join(parts) + ".")


class ReminderChangeSkill:
    """ "no, 6 pm", "push it back 10 minutes", "make it 30" (minutes after it was set)."""

    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        alarm = referred_reminder(self.book, intent)
        if alarm is None:
            return SkillReply("That reminder isn't pending any more.")
        now = ctx.now()
        due = datetime.fromtimestamp(alarm.due_at)
        moment = _changed_moment(intent, alarm, due, now)
        if moment is None:
            return SkillReply(f"When should I remind you to {alarm.label} instead?")
        if moment <= now:
            return SkillReply("That time has already passed; tell me a time in the future.")
        changed = self.book.reschedule(alarm.id, moment.timestamp(), None)
        if changed is None:
            return SkillReply("That reminder isn't pending any more.")
        return SkillReply(
            f"Okay, I'll remind you to {alarm.label} at {spoken_moment(moment, now)} instead.",
            touched=(reminder_referent(changed),),
            undo=Undo(
                "reschedule",
                (alarm.id,),
                f"the reminder to {alarm.label}",
                ((alarm.id, alarm.due_at, alarm.duration_s),),
            ),
        )


def _changed_moment(intent: Intent, alarm: Alarm, due: datetime, now: datetime) -> datetime | None:
    slots = intent.slots
    if isinstance(slots.get("delta_s"), int):
        return due + timedelta(seconds=int(slots["delta_s"]))
    if slots.get("day"):  # "make that tomorrow", "I meant saturday": the time stays
        return datetime.combine(date.fromisoformat(str(slots["day"])), due.time())
    if slots.get("when"):
        moment = datetime.fromisoformat(str(slots["when"]))
        return _same_day_if_only_clock(moment, due, now)
    created = datetime.fromtimestamp(alarm.created_at)
    if isinstance(slots.get("after_s"), int):
        return created + timedelta(seconds=int(slots["after_s"]))
    number = slots.get("number")
    if not isinstance(number, (int, float)) or number <= 0:
        return None
    soon = alarm.due_at - alarm.created_at <= 2 * 3600
    if number > 12 and soon and number < 24 * 60:
        return created + timedelta(minutes=float(number))  # set "in 20 minutes": "make it 30"
    if number <= 12 and float(number).is_integer():
        hour = int(number) % 12 + (12 if due.hour >= 12 else 0)  # "make it 6": same half of day
        return due.replace(hour=hour, minute=0, second=0)
    if number < 24 and float(number).is_integer():
        return due.replace(hour=int(number), minute=0, second=0)
    return None


def _same_day_if_only_clock(moment: datetime, due: datetime, now: datetime) -> datetime:
    """ "no, 6 pm" about a reminder for tomorrow means 6 pm tomorrow, not today."""
    if moment.date() != due.date() and moment.date() == now.date():
        return datetime.combine(due.date(), moment.time())
    return moment
