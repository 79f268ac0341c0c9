"""`timer.set`, `timer.cancel`, `timer.status`: timers kept in the database (see alarms.py)."""

from __future__ import annotations

from assistant.nlu.base import Intent
from assistant.skills.alarms import Alarm, AlarmBook, describe_duration, duration_adjective
from assistant.skills.base import SkillContext, SkillReply

MAX_TIMER_S = 7 * 86400


def _name(alarm: Alarm) -> str:
    if alarm.label:
        return f"the {alarm.label} timer"
    return f"the {duration_adjective(alarm.duration_s or 0)} timer"


class TimerSetSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        seconds = intent.slots.get("duration_s")
        if not isinstance(seconds, int) or seconds <= 0:
            return SkillReply('For how long? Say, for example, "set a timer for five minutes".')
        if seconds > MAX_TIMER_S:
            return SkillReply("That's longer than a week; a reminder suits that better.")
        label = str(intent.slots.get("label") or "")
        self.book.add("timer", ctx.now().timestamp() + seconds, label, seconds)
        what = f"{label} timer" if label else "timer"
        return SkillReply(f"Okay, {what} set for {describe_duration(seconds)}.")


class TimerCancelSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        timers = self.book.pending("timer")
        if not timers:
            return SkillReply("There's no timer running.")
        label = str(intent.slots.get("label") or "").lower()
        if label:
            chosen = [
                t
                for t in timers
                if t.label and (label in t.label.lower() or t.label.lower() in label)
            ]
            if not chosen:
                return SkillReply(f"I can't find a {label} timer.")
        elif intent.slots.get("all") or len(timers) == 1:
            chosen = timers
        else:
            chosen = timers[:1]  # the one that would ring first
        self.book.cancel([t.id for t in chosen])
        if len(chosen) == 1:
            return SkillReply(f"Okay, I cancelled {_name(chosen[0])}.")
        return SkillReply(f"Okay, I cancelled {len(chosen)} timers.")


class TimerStatusSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        timers = self.book.pending("timer")
        now = ctx.now().timestamp()
        if not timers:
            return SkillReply("You have no timers running.")
        parts = [f"{_name(t)} has {describe_duration(t.remaining_s(now))} left" for t in timers]
        if len(parts) == 1:
            return SkillReply(parts[0][0].upper() + parts[0][1:] + ".")
        return SkillReply(f"You have {len(parts)} timers: " + "; ".join(parts) + ".")
