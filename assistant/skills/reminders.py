"""`reminder.set`: a reminder at a moment, kept in the database and fired by the scheduler."""

from __future__ import annotations

import re
from datetime import datetime

from assistant.nlu.base import Intent
from assistant.skills.alarms import AlarmBook
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


class ReminderSkill:
    def __init__(self, book: AlarmBook) -> None:
        self.book = book

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        text = str(intent.slots.get("text") or "").strip()
        when = intent.slots.get("when")
        if not when:
            return SkillReply(
                'When should I remind you? Say, for example, "remind me to call '
                'mom at 6 pm" or "in 20 minutes".'
            )
        if not text:
            return SkillReply("What should I remind you about?")
        moment = datetime.fromisoformat(str(when))
        now = ctx.now()
        if moment <= now:
            return SkillReply("That time has already passed; tell me a time in the future.")
        self.book.add("reminder", moment.timestamp(), second_person(text))
        return SkillReply(
            f"Okay, I'll remind you to {second_person(text)} at {spoken_moment(moment, now)}."
        )
