"""`undo`, `dismiss` and `followup.nothing`: the skills of the dialogue state's own intents."""

from __future__ import annotations

from assistant.dialogue.state import Referent
from assistant.nlu.base import Intent
from assistant.skills.alarms import AlarmBook, describe_duration
from assistant.skills.base import SkillContext, SkillReply
from assistant.skills.memory_facts import FactIndex


class UndoSkill:
    """Takes back the last change: a new timer, reminder or fact goes, a cancelled one comes
    back, a moved one moves back, forgotten facts return."""

    def __init__(self, book: AlarmBook, index: FactIndex) -> None:
        self.book = book
        self.index = index

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        change = ctx.last_change
        if change is None:
            return SkillReply("There's nothing to undo.")
        what = change.description or "that"
        if change.action == "cancel":
            self.book.cancel(list(change.ids))
            return SkillReply(f"Okay, I removed {what}.")
        if change.action == "restore":
            back = self.book.restore(list(change.ids))
            if not back:
                return SkillReply(f"I can't bring back {what}: its time has passed.")
            touched = tuple(Referent(a.kind, a.id, created_at=a.created_at) for a in back)
            return SkillReply(f"Okay, {what} is back.", touched=touched)
        if change.action == "reschedule":
            now = ctx.now().timestamp()
            for alarm_id, due_at, duration_s in change.previous:
                moved = self.book.reschedule(alarm_id, due_at, duration_s) if due_at > now else None
                if moved is None:
                    return SkillReply(f"I can't move {what} back: it isn't pending any more.")
                if moved.kind == "timer":
                    left = describe_duration(moved.remaining_s(now))
                    return SkillReply(f"Okay, {what} is back to {left}.")
            return SkillReply(f"Okay, {what} is back to where it was.")
        if change.action == "delete_fact":
            for fact_id in change.ids:
                self.index.store.delete_fact(fact_id)
            return SkillReply(f"Okay, I've forgotten {what} again.")
        for text in change.texts:  # restore_facts
            self.index.add(text)
        return SkillReply(f"Okay, I remember {what} again.")


class DismissSkill:
    """ "Never mind" in answer to a question: the command is dropped."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        return SkillReply("Okay, never mind.")


class NothingToReferSkill:
    """ "Cancel it" / "make it fifteen" when nothing was set in this conversation."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        verb = str(intent.slots.get("verb") or "change")
        return SkillReply(
            f"There's nothing to {verb}: I haven't set a timer or a reminder in this "
            "conversation. What would you like me to do?"
        )
