"""`timer.set`, `timer.cancel`, `timer.status`, `timer.change`: timers kept in the database
(see alarms.py). Each reply tells the dialogue state what it made or touched, so "cancel it",
"make it fifteen" and "undo that" find the timer."""

from __future__ import annotations

from assistant.dialogue.state import Question, Referent, Undo
from assistant.nlu.base import Intent
from assistant.skills.alarms import Alarm, AlarmBook, describe_duration, duration_adjective
from assistant.skills.base import SkillContext, SkillReply

MAX_TIMER_S = 7 * 86400
HOW_LONG = 'For how long? Say, for example, "five minutes".'


def timer_name(alarm: Alarm) -> str:
    if alarm.label:
        return f"the {alarm.label} timer"
    return f"the {duration_adjective(alarm.duration_s or 0)} timer"


def timer_referent(alarm: Alarm) -> Referent:
    return Referent("timer", alarm.id, relative=True, created_at=alarm.created_at)


def previous_of(alarm: Alarm) -> tuple[tuple[int, float, int | None], ...]:
    return ((alarm.id, alarm.due_at, alarm.duration_s),)


def referred_timers(book: AlarmBook, intent: Intent) -> list[Alarm] | None:
    """The pending timer the ``ref`` slot names ([] when it is gone), or None without one."""
    ref = intent.slots.get("ref")
    if not isinstance(ref, int):
        return None
    alarm = book.get(ref)
    return [alarm] if alarm is not None and alarm.state == "pending" else []


def timers_named(timers: list[Alarm], label: str) -> list[Alarm]:
    """The timers whose name is ``label`` or holds it ("the egg timer" of "eggs" …)."""
    label = label.lower()
    return [t for t in timers if t.label and (label in t.label.lower() or t.label.lower() in label)]


class TimerSetSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        seconds = intent.slots.get("duration_s")
        if not isinstance(seconds, int) or seconds <= 0:
            return SkillReply(
                HOW_LONG, asks=Question("timer.set", "duration_s", HOW_LONG, dict(intent.slots))
            )
        if seconds > MAX_TIMER_S:
            return SkillReply("That's longer than a week; a reminder suits that better.")
        label = str(intent.slots.get("label") or "")
        alarm = self.book.add("timer", ctx.now().timestamp() + seconds, label, seconds)
        what = f"{label} timer" if label else "timer"
        return SkillReply(
            f"Okay, {what} set for {describe_duration(seconds)}.",
            touched=(timer_referent(alarm),),
            undo=Undo("cancel", (alarm.id,), timer_name(alarm)),
        )


class TimerCancelSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        timers = self.book.pending("timer")
        referred = referred_timers(self.book, intent)
        label = str(intent.slots.get("label") or "").lower()
        if referred is not None:
            if not referred:
                return SkillReply("That timer isn't running any more.")
            chosen = referred
        elif not timers:
            return SkillReply("There's no timer running.")
        elif intent.slots.get("all"):
            chosen = timers
        elif label:
            chosen = timers_named(timers, label)
            if not chosen:
                return SkillReply(f"I can't find a {label} timer.")
        elif len(timers) == 1:
            chosen = timers
        else:
            chosen = timers[:1]  # the one that would ring first
        self.book.cancel([t.id for t in chosen])
        if len(chosen) == 1:
            text = f"Okay, I cancelled {timer_name(chosen[0])}."
            description = timer_name(chosen[0])
        else:
            text = f"Okay, I cancelled {len(chosen)} timers."
            description = f"{len(chosen)} timers"
        return SkillReply(
            text,
            touched=tuple(timer_referent(t) for t in chosen),
            undo=Undo("restore", tuple(t.id for t in chosen), description),
        )


class TimerStatusSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        referred = referred_timers(self.book, intent)
        if referred == []:
            return SkillReply("That timer isn't running any more.")
        timers = referred or self.book.pending("timer")
        now = ctx.now().timestamp()
        if not timers:
            return SkillReply("You have no timers running.")
        parts = [
            f"{timer_name(t)} has {describe_duration(t.remaining_s(now))} left" for t in timers
        ]
        if len(parts) == 1:
            return SkillReply(parts[0][0].upper() + parts[0][1:] + ".")
        return SkillReply(f"You have {len(parts)} timers: " + "; ".join(parts) + ".")


class TimerChangeSkill:
    """ "make it fifteen" (a new length from now), "add 5 minutes", "take 2 minutes off"."""

    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        label = str(intent.slots.get("label") or "")
        referred = referred_timers(self.book, intent)
        if referred is None and label:  # "add 3 minutes to the pasta timer"
            referred = timers_named(self.book.pending("timer"), label)
            if not referred:
                return SkillReply(f"I can't find a {label} timer.")
        if not referred:
            return SkillReply("That timer isn't running any more.")
        alarm = referred[0]
        now = ctx.now().timestamp()
        delta = intent.slots.get("delta_s")
        if isinstance(delta, int):
            left = alarm.remaining_s(now) + delta
            total = (alarm.duration_s or 0) + delta
        else:
            left = float(intent.slots.get("duration_s") or 0)
            total = int(left)
        if left <= 0:
            return SkillReply(f"That would leave no time on {timer_name(alarm)}.")
        if left > MAX_TIMER_S:
            return SkillReply("That's longer than a week; a reminder suits that better.")
        changed = self.book.reschedule(alarm.id, now + left, max(1, int(total)))
        if changed is None:
            return SkillReply("That timer isn't running any more.")
        return SkillReply(
            f"Okay, {timer_name(changed)} now has {describe_duration(left)} left.",
            touched=(timer_referent(changed),),
            undo=Undo("reschedule", (alarm.id,), timer_name(alarm), previous_of(alarm)),
        )
