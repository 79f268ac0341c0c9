"""`calculate`: the detector already evaluated the arithmetic safely; say the answer."""

from __future__ import annotations

from assistant.nlu.base import Intent
from assistant.nlu.calculator import format_number
from assistant.skills.base import SkillContext, SkillReply

HINT = 'I can work out arithmetic, for example "what is 15 percent of 80" or "12 times 7".'


class CalculatorSkill:
    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        if "error" in intent.slots:
            return SkillReply(str(intent.slots["error"]))
        result = intent.slots.get("result")
        if isinstance(result, int | float) and not isinstance(result, bool):
            return SkillReply(f"That's {format_number(result)}.")
        return SkillReply(f"Sorry, I couldn't find a calculation in that. {HINT}")
