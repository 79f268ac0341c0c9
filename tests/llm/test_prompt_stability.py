"""The engine's system prompt stays the same between turns, so the KV cache can be kept."""

from __future__ import annotations

from datetime import datetime

from assistant.memory.context import PromptParts, part_of_day, system_prompt


def prompt(now: datetime, facts: tuple[str, ...] = ("likes jazz", "lives in Lyon")) -> str:
    return system_prompt(PromptParts(persona="You are Aria.", now=now, facts=facts))


def test_minutes_passing_do_not_change_the_system_prompt() -> None:
    assert prompt(datetime(2026, 11, 23, 15, 29, 50)) == prompt(datetime(2026, 11, 23, 17, 59))
    assert "Monday 23 November 2026" in prompt(datetime(2026, 11, 23, 15, 29))
    assert prompt(datetime(2026, 11, 23, 11, 59)) != prompt(datetime(2026, 11, 23, 12, 0))


def test_a_new_fact_joins_the_end_of_the_system_prompt() -> None:
    """Facts come oldest first (the engine's order): the prompt with one more fact begins with
    the prompt of before, so the model keeps most of what it has read."""
    now = datetime(2026, 11, 23, 15, 30)
    assert prompt(now, ("b fact", "a fact", "c fact")).startswith(prompt(now, ("b fact", "a fact")))


def test_parts_of_the_day() -> None:
    assert [part_of_day(h) for h in (0, 5, 11, 12, 17, 18, 22, 23)] == [
        "night",
        "morning",
        "morning",
        "afternoon",
        "afternoon",
        "evening",
        "evening",
        "night",
    ]
