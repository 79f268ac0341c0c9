"""The follow-up reader on its own: answers to a question, references, changes, undo."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.dialogue.followups import DISMISS, NOTHING, UNDO, FollowUpReader
from assistant.dialogue.state import DialogueState, Question, Referent, Undo

NOW = datetime(2026, 3, 2, 10, 0, 0)
READ = FollowUpReader()


def asked(intent: str, slot: str, **slots: object) -> DialogueState:
    return DialogueState(question=Question(intent, slot, "?", dict(slots)))


def with_things(*things: tuple[str, int]) -> DialogueState:
    state = DialogueState()
    for kind, ident in things:
        state.touch(Referent(kind, ident))  # type: ignore[arg-type]
    return state


@pytest.mark.parametrize(
    ("answer", "seconds"),
    [
        ("ten minutes", 600),
        ("um, make it 3 minutes", 180),
        ("an hour and a half", 5400),
        ("15", 900),
        ("for 20 seconds", 20),
        ("an hour and a quarter please", 4500),
        ("eight minutes, no wait, nine", 540),  # the speaker corrects themselves
        ("5 minutes sorry i mean 7 minutes", 420),
    ],
)
def test_a_duration_answers_how_long(answer: str, seconds: int) -> None:
    intent = READ.read(answer, asked("timer.set", "duration_s", label="eggs"), NOW)
    assert intent is not None and intent.name == "timer.set"
    assert intent.slots == {"label": "eggs", "duration_s": seconds}


def test_a_moment_answers_when_and_the_words_answer_what() -> None:
    when = READ.read("tomorrow at 9", asked("reminder.set", "when", text="call the bank"), NOW)
    assert when is not None and when.slots == {
        "text": "call the bank",
        "when": "2026-03-03T09:00:00",
    }
    what = READ.read(
        "to feed the Cat", asked("reminder.set", "text", when="2026-03-02T18:00:00"), NOW
    )
    assert what is not None and what.slots["text"] == "feed the Cat"
    own = READ.read("that i need to ring the plumber", asked("reminder.set", "text"), NOW)
    assert own is not None and own.slots["text"] == "ring the plumber"
    both = READ.read("buy stamps at 5 pm", asked("reminder.set", "text"), NOW)
    assert both is not None and both.slots == {"text": "buy stamps", "when": "2026-03-02T17:00:00"}
    half = READ.read("at half two", asked("reminder.set", "when", text="x"), NOW)
    assert half is not None and half.slots["when"] == "2026-03-02T14:30:00"
    fixed = READ.read("tomorrow at 9, no, 10", asked("reminder.set", "when", text="x"), NOW)
    assert fixed is not None and fixed.slots["when"] == "2026-03-03T10:00:00"


def test_a_new_request_or_a_refusal_drops_the_question() -> None:
    state = asked("timer.set", "duration_s")
    assert READ.read("what's the capital of France?", state, NOW) is None
    assert READ.read("remind me at 5 pm to call mom", state, NOW) is None
    assert READ.read("what's 12 times 7", asked("reminder.set", "when", text="x"), NOW) is None
    # the user saying how they are is no reminder's task; what they need to do is
    task = asked("reminder.set", "text", when="2026-03-02T16:00:00")
    assert READ.read("ugh, I can't think straight today", task, NOW) is None
    need = READ.read("I need to ring the plumber", task, NOW)
    assert need is not None and need.slots["text"] == "ring the plumber"
    for said in (
        "actually never mind",
        "nah forget about it",
        "nope, never mind",
        "actually don't worry about it",
    ):
        declined = READ.read(said, state, NOW)
        assert declined is not None and declined.name == DISMISS, said


def test_confirmations() -> None:
    state = asked("memory.forget", "confirm", all=True)
    yes = READ.read("Yes, please", state, NOW)
    assert yes is not None and yes.slots == {"all": True, "confirm": True}
    no = READ.read("no", state, NOW)
    assert no is not None and no.slots["confirm"] is False
    assert READ.read("what time is it", state, NOW) is None


def test_references_pick_the_latest_or_the_named_one() -> None:
    state = with_things(("timer", 1), ("timer", 2), ("reminder", 3))
    cancel = READ.read("cancel it", state, NOW)
    assert cancel is not None and (cancel.name, cancel.slots) == ("reminder.cancel", {"ref": 3})
    second = READ.read("cancel the second one", state, NOW)
    # one reminder only: the second of everything made
    assert second is not None and (second.name, second.slots) == ("timer.cancel", {"ref": 2})
    timers = with_things(("timer", 1), ("timer", 2))
    first = READ.read("never mind, cancel the first one", timers, NOW)
    assert first is not None and first.slots == {"ref": 1}
    named = READ.read("delete that timer", state, NOW)
    assert named is not None and (named.name, named.slots) == ("timer.cancel", {"ref": 2})
    left = READ.read("how much time is left on it", timers, NOW)
    assert left is not None and (left.name, left.slots) == ("timer.status", {"ref": 2})
    # "stop it" is the stop command, not a cancel of the timer
    assert READ.read("stop it", timers, NOW) is None


@pytest.mark.parametrize(
    ("said", "slots"),
    [
        ("actually make it fifteen", {"duration_s": 900}),
        ("no, make that 10 minutes", {"duration_s": 600}),
        ("add 5 minutes to it", {"delta_s": 300}),
        ("take 2 minutes off it", {"delta_s": -120}),
        ("actually fifteen", {"duration_s": 900}),
    ],
)
def test_timer_changes(said: str, slots: dict[str, int]) -> None:
    intent = READ.read(said, with_things(("timer", 7)), NOW)
    assert intent is not None and intent.name == "timer.change"
    assert intent.slots == {"ref": 7, **slots}


@pytest.mark.parametrize(
    ("said", "slots"),
    [
        ("no, 6 pm", {"when": "2026-03-02T18:00:00"}),
        ("push it back 10 minutes", {"delta_s": 600}),
        ("make it 30", {"number": 30.0}),
        ("bring it forward 5 minutes", {"delta_s": -300}),
        ("oh wait, wednesday not tomorrow", {"day": "2026-03-04"}),  # what it no longer is
    ],
)
def test_reminder_changes(said: str, slots: dict[str, object]) -> None:
    intent = READ.read(said, with_things(("reminder", 4)), NOW)
    assert intent is not None and intent.name == "reminder.change"
    assert intent.slots == {"ref": 4, **slots}


def test_nothing_to_refer_to_is_said_not_guessed() -> None:
    empty = DialogueState()
    change = READ.read("actually make it fifteen", empty, NOW)
    assert change is not None and change.name == NOTHING
    cancel = READ.read("cancel it", empty, NOW)
    assert cancel is not None and cancel.name == NOTHING
    assert READ.read("no, 6 pm", empty, NOW) is None  # not clearly a change: the detector reads it
    assert READ.read("what is the capital of France", empty, NOW) is None


def test_undo_and_the_state_round_trip() -> None:
    state = with_things(("timer", 1))
    state.undo = Undo("reschedule", (1,), "the timer", ((1, 100.0, 300),))
    state.question = Question("timer.set", "duration_s", "For how long?", {"label": "tea"}, 5.0)
    again = DialogueState.from_json(state.to_json())
    assert again == state
    for said in ("undo that", "undo that last one please", "undo the previous change"):
        intent = READ.read(said, again, NOW)
        assert intent is not None and intent.name == UNDO, said


def test_asking_for_tips_is_no_change_even_with_a_number() -> None:
    """ "give me five tips for saving money" read as "give me 5 [minutes]" with nothing to
    change ("There's nothing to change: I haven't set a timer")."""
    for state in (DialogueState(), with_things(("timer", 1))):
        assert READ.read("Give me five tips for saving money.", state, NOW) is None


def test_new_ways_of_referring_and_of_never_mind() -> None:
    timer = with_things(("timer", 1))
    more = READ.read("throw another two minutes on it", timer, NOW)
    assert more is not None and (more.name, more.slots.get("delta_s")) == ("timer.change", 120)
    fact = with_things(("fact", 7))
    gone = READ.read("actually forget that", fact, NOW)
    assert gone is not None and (gone.name, gone.slots.get("ref")) == ("memory.forget", 7)
    waiting = asked("reminder.set", "text", when="2026-03-02T10:10:00")
    assert READ.read("oh never mind actually", waiting, NOW) == READ.read(
        "never mind", waiting, NOW
    )
    task = READ.read("turn off the sprinkler", waiting, NOW)
    assert task is not None and task.slots.get("text") == "turn off the sprinkler"
    assert READ.read("actually remember that my bike code is 3321", waiting, NOW) is None


def test_one_more_timer_said_by_its_amount_alone() -> None:
    """ "set a timer for 20 minutes for the soup" → "and ten for the rolls": a second timer."""
    timer = with_things(("timer", 1))
    rolls = READ.read("and ten for the rolls", timer, NOW)
    assert rolls is not None and (rolls.name, rolls.slots) == (
        "timer.set",
        {"duration_s": 600, "label": "rolls"},
    )
    sauce = READ.read("plus another 90 seconds one for the sauce", timer, NOW)
    assert sauce is not None and sauce.slots == {"duration_s": 90, "label": "sauce"}
    # with a reminder last, or nothing, a bare "and ten" is not a timer
    assert READ.read("and ten for the rolls", with_things(("reminder", 2)), NOW) is None
    assert READ.read("and ten for the rolls", DialogueState(), NOW) is None


def test_a_refusal_with_what_the_user_will_do_instead_and_an_aside_before_a_new_request() -> None:
    timer = asked("timer.set", "duration_s")
    kept = READ.read("oh forget it i'll just keep an eye on it", timer, NOW)
    assert kept is not None and kept.name == DISMISS
    waiting = asked("reminder.set", "text", when="2026-03-02T15:00:00")
    said = "oh by the way remember that my new desk number is 4b"
    assert READ.read(said, waiting, NOW) is None  # a fact to keep, not the task
    assert READ.read("oh actually just open firefox", waiting, NOW) is None
    done = READ.read("oh never mind ill just do it now", waiting, NOW)  # as a recogniser writes
    assert done is not None and done.name == DISMISS
    thinking = READ.read("uh lets say hmm half an hour", timer, NOW)
    assert thinking is not None and thinking.slots == {"duration_s": 1800}


def test_a_change_names_the_timer_by_its_place_or_its_name() -> None:
    """ "take a minute off the first one", "add 3 minutes to the pasta timer": not the latest."""
    timers = with_things(("timer", 1), ("timer", 2))
    first = READ.read("take a minute off the first one", timers, NOW)
    assert first is not None and (first.name, first.slots) == (
        "timer.change",
        {"ref": 1, "delta_s": -60},
    )
    pasta = READ.read("add 3 minutes to the pasta timer", timers, NOW)
    assert pasta is not None and (pasta.name, pasta.slots) == (
        "timer.change",
        {"label": "pasta", "delta_s": 180},
    )
    second = READ.read("make the second one 10 minutes", timers, NOW)
    assert second is not None and second.slots == {"ref": 2, "duration_s": 600}
    said = READ.read("make the first one seven minutes", timers, NOW)  # "first 1 7" once
    assert said is not None and said.slots == {"ref": 1, "duration_s": 420}


def test_a_reference_after_a_sentence_of_its_own() -> None:
    reminder = with_things(("reminder", 4))
    cancel = READ.read("oh he just texted, cancel that reminder", reminder, NOW)
    assert cancel is not None and (cancel.name, cancel.slots) == ("reminder.cancel", {"ref": 4})
    undo = READ.read("hmm that was wrong. undo that", reminder, NOW)
    assert undo is not None and undo.name == UNDO
    # a sentence with no reference in its last clause stays the detector's
    assert READ.read("I called him, he says hi", reminder, NOW) is None
