"""`time` and `date`: read the clock, say it naturally."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.nlu.base import Intent
from assistant.skills.base import SkillContext, SkillReply


def spoken_time(moment: datetime) -> str:
    """14:05 → '2:05 PM'."""
    return moment.strftime("%I:%M %p").lstrip("0")


def spoken_date(moment: datetime) -> str:
    """'Monday, 2 March 2026'."""
    return f"{moment.strftime('%A')}, {moment.day} {moment.strftime('%B %Y')}"


def spoken_moment(moment: datetime, now: datetime) -> str:
    """'6:00 PM today', '9:00 AM tomorrow', '12:00 PM on Friday, 6 March 2026'."""
    days = (moment.date() - now.date()).days
    if days == 0:
        return f"{spoken_time(moment)} today"
    if days == 1:
        return f"{spoken_time(moment)} tomorrow"
    return f"{spoken_time(moment)} on {spoken_date(moment)}"


class TimeSkill:
    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        return SkillReply(f"It's {spoken_time(ctx.now())}.")


_DAY_NAMES = {-1: "Yesterday was", 0: "Today is", 1: "Tomorrow is"}


class DateSkill:
    """Today's date, or tomorrow's / yesterday's (``offset_days``)."""

    def run(self, intent: Intent, ctx: SkillContext) -> SkillReply:
        offset = intent.slots.get("offset_days", 0)
        offset = offset if offset in _DAY_NAMES else 0
        moment = ctx.now() + timedelta(days=offset)
        return SkillReply(f"{_DAY_NAMES[offset]} {spoken_date(moment)}.")
