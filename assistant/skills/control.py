"""`stop`, `repeat`, `conversation.new`, `help`: control of the conversation itself."""

from __future__ import annotations

from assistant.nlu.base import Intent
from assistant.skills.base import SkillContext, SkillReply

HELP_TEXT = (
    'I can tell the time and date, set timers ("set a timer for five minutes") and reminders '
    '("remind me to call mom at 6 pm"), do arithmetic, remember things about you ("remember '
    'that …", "what do you know about me", "forget …"), open applications, repeat my last '
    "answer, stop talking, and start a new conversation. Anything else, just ask me."
)


class StopSkill:
    """The voice loop already cut the reply being spoken when this turn began; acknowledge."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        return SkillReply("Okay.", actions=("stop",))


class RepeatSkill:
    """Says the last real answer again (not the "Okay." that acknowledged a stop)."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        for message in reversed(ctx.store.messages(ctx.conversation_id, limit=40)):
            if message.role == "assistant" and message.text and message.intent != "stop":
                return SkillReply(message.text)
        return SkillReply("I haven't said anything yet.")


class NewConversationSkill:
    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        return SkillReply("Okay, let's start a new conversation.", actions=("new_conversation",))


class HelpSkill:
    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        return SkillReply(HELP_TEXT)
