"""Slots: spoken numbers, durations, reminder times and texts, labels, facts, apps."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.nlu import slots
from assistant.nlu.normalize import (
    as_meant,
    direct_question,
    normalize,
    sentences,
    without_disfluencies,
)

NOW = datetime(2026, 3, 2, 10, 0, 0)  # Monday 10:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What's 15 percent of 80?", "what's 15 percent of 80"),
        ("set a timmer for ten minuts", "set a timer for 10 minutes"),
        ("what tiem is it", "what time is it"),
        ("ninety second timer", "90 seconds timer"),
        ("it costs 1,250 dollars", "it costs 1250 dollars"),
        ("reboot now", "reboot now"),  # not "corrected" into a command word
        ("um whats ur name pls", "what's your name please"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("set a timer for five minutes", 300),
        ("ninety second timer", 90),
        ("timer for 1 hour and 15 minutes", 4500),
        ("an hour and a half", 5400),
        ("one and a half hours", 5400),
        ("half an hour", 1800),
        ("a quarter of an hour", 900),
        ("three quarters of an hour", 2700),
        ("a minute and a half", 90),
        ("an hour and a quarter please", 4500),
        ("two hours and three quarters", 9900),
        ("2 minutes 30 seconds", 150),
        ("timer 5m", 300),
        ("1h30", 5400),
        ("set a timer", None),
        ("i have 3 kids and a dog", None),
    ],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert slots.parse_duration(normalize(text)) == seconds


@pytest.mark.parametrize(
    ("text", "when", "what"),
    [
        ("remind me to call mom at 6 pm", "2026-03-02T18:00:00", "call mom"),
        (
            "remind me in twenty minutes to take out the trash",
            "2026-03-02T10:20:00",
            "take out the trash",
        ),
        (
            "remind me tomorrow at 9am to water the plants",
            "2026-03-03T09:00:00",
            "water the plants",
        ),
        ("in two hours remind me to take my medicine", "2026-03-02T12:00:00", "take my medicine"),
        (
            "set a reminder for friday at noon to pay the rent",
            "2026-03-06T12:00:00",
            "pay the rent",
        ),
        ("remind me at 7 30 pm to watch the game", "2026-03-02T19:30:00", "watch the game"),
        ("remind me at 6 to start dinner", "2026-03-02T18:00:00", "start dinner"),  # 6 is past: pm
        ("remind me at 11 to join the call", "2026-03-02T11:00:00", "join the call"),
        ("remind me tonight to lock the door", "2026-03-02T20:00:00", "lock the door"),
        ("remind me next monday to renew my passport", "2026-03-09T09:00:00", "renew my passport"),
        ("remind me on march 5th to send the card", "2026-03-05T09:00:00", "send the card"),
        ("remind me at 8 am to stretch", "2026-03-03T08:00:00", "stretch"),  # 8 am passed: tomorrow
        ("remind me to stretch in half an hour", "2026-03-02T10:30:00", "stretch"),
        ("remind me about the dentist tomorrow at 2", "2026-03-03T14:00:00", "the dentist"),
    ],
)
def test_reminder_time_and_text(text: str, when: str, what: str) -> None:
    normalized = normalize(text)
    moment, spans = slots.parse_when(normalized, NOW)
    assert moment is not None and moment.isoformat() == when
    assert slots.reminder_text(text, normalized, spans) == what


def test_reminder_without_time() -> None:
    assert slots.parse_when(normalize("remind me to buy milk"), NOW) == (None, [])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("90 second timer for the eggs", "eggs"),
        ("set a pasta timer for 8 minutes", "pasta"),
        ("start a timer called laundry for 40 minutes", "laundry"),
        ("set a timer for 1 hour and 15 minutes", None),
        ("set a timer for 10 minutes please", None),
        ("cancel the rice timer", "rice"),
        ("count down an hour and a half for the roast would you", "roast"),
        ("a quarter of an hour timer for the laundry thanks", "laundry"),
        ("can you give me twelve minutes on the rice please", "rice"),
        ("put 20 minutes on the clock", None),
        ("set a timer for 20 minutes please, I keep losing track of time", None),
        ("timer for the pasta 9 minutes, I always overcook it", "pasta"),
    ],
)
def test_timer_label(text: str, label: str | None) -> None:
    assert slots.timer_label(normalize(text)) == label


def test_fact_keeps_the_users_words() -> None:
    assert (
        slots.fact_text("Remember that my sister's birthday is May 3rd.")
        == "my sister's birthday is May 3rd"
    )
    assert slots.fact_text("please remember I’m allergic to peanuts") == "I'm allergic to peanuts"
    for said, fact in (
        ("for future reference, the boiler pressure should be 1.5 bar", "the boiler pressure"),
        ("save this for me the printer's ip is 192.168.1.40", "the printer's ip"),
        ("Yay I got the job!! Remember that my employee id is 58213", "my employee id"),
        ("My name is Sam. Remember that.", "My name is Sam"),
        ("I'm over the moon, my new nephew is called Oscar! please remember that", "my new"),
        ("so um just so you know my neighbor's name is priya could you remember that", "my n"),
        ("so um my cousin's flight number is ba 287 remember that", "my cousin's"),
    ):
        assert slots.fact_text(said).startswith(fact), said


def test_forget_and_recall_and_app() -> None:
    assert slots.forget_slots(normalize("forget everything about me")) == {"all": True}
    assert slots.forget_slots(normalize("forget my sister's birthday")) == {
        "query": "my sister's birthday"
    }
    assert slots.recall_query(normalize("what do you know about my car")) == "my car"
    assert slots.app_name("can you open up the text editor app") == "text editor"
    assert slots.app_name("launch firefox; rm -rf ~") == "firefox; rm -rf ~"
    assert slots.app_name("launch firefox would you") == "firefox"
    assert slots.app_name("fire up the text editor pls") == "text editor"
    assert slots.app_name("i need the calculator up") == "calculator"
    assert slots.app_name("open firefox, I need to check something") == "firefox"
    assert slots.read_fact("remember when we went to that cafe in Lisbon?", "", NOW) is None
    assert normalize("make the first one seven minutes") == "make the first one 7 minutes"
    assert slots.recall_query(normalize("did I tell you my dentist's name")) == "my dentist's name"


def test_a_new_conversation_needs_a_fresh_start() -> None:
    from datetime import datetime

    now = datetime(2026, 3, 2, 10, 0)
    for text in ("let's start over", "new chat please", "wipe the slate clean", "reset"):
        assert slots.read_new_conversation(text, normalize(text), now) == {}, text
    asked = "do you remember what we talked about last week"
    assert slots.read_new_conversation(asked, normalize(asked), now) is None
    asked = "where do I work again"  # a reminder asked for, no fresh start
    assert slots.read_new_conversation(asked, normalize(asked), now) is None


def test_the_parse_may_not_name_a_timer_for_a_journey_or_the_date_for_a_plan() -> None:
    from assistant.nlu.parsed_slots import asks_the_date, can_time

    for said in ("let me know when twelve minutes are up", "timer for the pasta please"):
        assert can_time(normalize(said)), said
    for said in (
        "it takes me 25 minutes to get there. what time should i leave?",
        "it's a ten minute walk to the station",
    ):
        assert not can_time(normalize(said)), said
    for said in ("what's the date", "what day is it", "is it tuesday"):
        assert asks_the_date(normalize(said)), said
    for said in ("where am i off to on friday?", "what day was the moon landing"):
        assert not asks_the_date(normalize(said)), said


def test_help_is_what_the_assistant_can_do_not_help_with_a_task() -> None:
    from datetime import datetime

    now = datetime(2026, 3, 2, 10, 0)
    for text in ("what can you help me with", "help", "how can you help me", "help please"):
        assert slots.read_help(text, normalize(text), now) == {}, text
    for text in ("can you help me write a cover letter", "help me with my homework"):
        assert slots.read_help(text, normalize(text), now) is None, text


def test_a_recall_is_about_the_user_and_a_timer_status_asks() -> None:
    from datetime import datetime

    now = datetime(2026, 3, 2, 10, 0)
    said = "do you remember your childhood"
    assert slots.read_recall(said, normalize(said), now) is None
    for said, query in (
        ("what was my bike lock code again", "my bike lock code"),
        ("who's my doctor again", "my doctor"),
        ("remind me what my wifi password is", "my wifi password"),
        ("where did i park", "where did i park"),  # the question is what is asked
        ("when is my sister's birthday", "my sister's birthday"),
        ("where's my passport", "my passport"),
        ("what did i tell you the printer's ip was", "the printer's ip"),
        ("where did i say the spare key was", "the spare key"),
    ):
        assert slots.read_recall(said, normalize(said), now) == {"query": query}, said
    said = "how many minutes are left on the countdown"
    assert slots.read_timer(said, normalize(said), now) is None  # asks, sets nothing
    said = "let me know when twelve minutes are up"
    assert slots.read_timer_status(said, normalize(said), now) is None
    said = "how long is left on the 10 minute timer"
    assert slots.read_timer_status(said, normalize(said), now) == {}
    for asks_for_one in ("timer please", "can i get a timer"):
        assert slots.read_timer_status(asks_for_one, normalize(asks_for_one), now) is None
    for asks_how_long in ("um whats the timer at", "is the bread timer nearly done"):
        assert slots.read_timer_status(asks_how_long, normalize(asks_how_long), now) == {}


@pytest.mark.parametrize(
    ("text", "when", "task"),
    [
        (
            "Please remind me on Thursday at 2 in the afternoon to telephone my sister.",
            "2026-03-05T14:00:00",
            "telephone my sister",
        ),
        ("remind me go to the bank on wednesday 11 o'clock", "2026-03-04T11:00:00", None),
        ("remind me deploy hotfix fri 9am", "2026-03-06T09:00:00", "deploy hotfix"),
        ("remind me at 7 in the morning to run", "2026-03-03T07:00:00", "run"),
        # the hours text2num leaves as words
        (
            "remind me to defrost the chicken at half two",
            "2026-03-02T14:30:00",
            "defrost the chicken",
        ),
        ("remind me to call bob at two", "2026-03-02T14:00:00", "call bob"),
        ("remind me at quarter to one to eat", "2026-03-02T12:45:00", "eat"),
        # how the user feels, said after the request, is no part of the task
        (
            "remind me to leave for the interview tomorrow at 8am, I'm so nervous",
            "2026-03-03T08:00:00",
            "leave for the interview",
        ),
    ],
)
def test_reminder_moments_said_every_way(text: str, when: str, task: str | None) -> None:
    from datetime import datetime

    found = slots.read_reminder(text, normalize(text), datetime(2026, 3, 2, 10, 0))
    assert found is not None and found["when"] == when
    if task is not None:
        assert found["text"] == task


def test_fillers_and_feelings_are_no_timer_names() -> None:
    assert slots.timer_label(normalize("give me a timer for uh half an hour")) is None
    assert slots.timer_label(normalize("cancel the stupid timer already")) is None
    assert slots.timer_label(normalize("set a pasta timer for 5 minutes")) == "pasta"


@pytest.mark.parametrize(
    ("text", "slots_wanted"),
    [
        ("dont forget that my parking spot is b17", {"fact": "my parking spot is b17"}),
        ("save this fact: my doctor is called dr patel", {"fact": "my doctor is called dr patel"}),
        ("please delete what you know about my wifi password", {"query": "my wifi password"}),
        ("you dont need to remember my parking spot anymore", {"query": "my parking spot"}),
        (
            "remind me that i need to move the car at 4:30 this afternoon",
            {"text": "move the car", "when": "2026-03-02T16:30:00"},
        ),
        (
            "reminder to pick up the kids at half three this afternoon",
            {"text": "pick up the kids", "when": "2026-03-02T15:30:00"},
        ),
        ("remind me at 4pm", {"when": "2026-03-02T16:00:00"}),  # no task said: none kept
        ("jot this down, my car reg is KX19 ABC", {"fact": "my car reg is KX19 ABC"}),
        ("fyi my gym number is 55021, remember that", {"fact": "my gym number is 55021"}),
        ("I don't want you storing my car reg anymore, forget it", {"query": "my car reg"}),
        ("erase all my personal info pls", {"all": True}),
    ],
)
def test_lead_words_are_no_part_of_what_is_kept(text: str, slots_wanted: dict[str, object]) -> None:
    """What a remember, forget or reminder keeps is the thing itself, not the way it was
    asked for ("dont forget that", "what you know about", "that I need to", "half three")."""
    from datetime import datetime

    now = datetime(2026, 3, 2, 10, 0)
    reader = {
        "fact": slots.read_fact,
        "query": slots.read_forget,
        "all": slots.read_forget,
        "text": slots.read_reminder,
        "when": slots.read_reminder,
    }[next(iter(slots_wanted))]
    assert reader(text, normalize(text), now) == slots_wanted


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("what's seven times eight no seven times nine", "what's seven times nine"),
        (
            "remind me at four no five pm to water the plants",
            "remind me at five pm to water the plants",
        ),
        ("set a timer for five minutes no six", "set a timer for six minutes"),
        ("remind me at 2 no sorry at 3 to call", "remind me at 3 to call"),
        ("remind me on tuesday sorry i mean wednesday at 5", "remind me on wednesday at 5"),
        ("set set a timer for for ten minutes", "set a timer for ten minutes"),
        ("remember that that my doctor is Dr Patel", "remember that my doctor is Dr Patel"),
        # "no" and "sorry" as ordinary words, and words said twice on purpose
        ("remind me to say no to the party", "remind me to say no to the party"),
        ("remind me to say sorry to jane at 5", "remind me to say sorry to jane at 5"),
        ("I have no idea what 5 times 4 is", "I have no idea what 5 times 4 is"),
        ("bye bye", "bye bye"),
    ],
)
def test_stutters_and_self_corrections(said: str, meant: str) -> None:
    assert without_disfluencies(said) == meant


@pytest.mark.parametrize(
    ("said", "direct"),
    [
        ("I was wondering what today's date is", "what is today's date"),
        ("do you happen to know what 144 divided by 16 is", "what is 144 divided by 16"),
        ("can you tell me what time it is", "what time is it"),
        ("so do you know where my keys are", "where are my keys"),
        ("tell me what you think", "tell me what you think"),
    ],
)
def test_indirect_questions_asked_directly(said: str, direct: str) -> None:
    assert direct_question(said) == direct


def test_what_is_said_after_the_request_is_no_part_of_its_words() -> None:
    reminder = slots.read_reminder(
        "remind me tomorrow at 6:45 pm to pick up my sister's dress, it's for the wedding",
        normalize(
            "remind me tomorrow at 6:45 pm to pick up my sister's dress, it's for the wedding"
        ),
        NOW,
    )
    assert reminder == {"text": "pick up my sister's dress", "when": "2026-03-03T18:45:00"}
    said = "you can forget the wifi password now, we changed it"
    assert slots.read_forget(said, normalize(said), NOW) == {"query": "the wifi password"}
    said = "when's my sister's birthday, did I tell you"
    assert slots.read_recall(said, normalize(said), NOW) == {"query": "my sister's birthday"}


def test_a_reminder_keeps_the_capitals_it_was_written_with() -> None:
    said = "remind me tomorrow at 9 am to email Sarah"
    assert slots.read_reminder(said, normalize(said), NOW)["text"] == "email Sarah"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("reminde me to call Dad tmrw at 9am", "remind me to call Dad tmrw at 9am"),
        ("opn the terminal pls", "open the terminal please"),
        ("cancel the tmer for the eggs", "cancel the timer for the eggs"),
        ("can u open spotify 🎵", "can you open spotify"),
        ("at 5pm remind me: pick up the dry cleaning", "at 5pm remind me pick up the dry cleaning"),
        (
            "reminder for sunday 10am - renew my passport",
            "reminder for sunday 10am renew my passport",
        ),
        # a time's colon, a sum's minus, a hyphenated word and the words after the first few stay
        ("whats 7*8 - 6", "what's 7*8 - 6"),
        ("set a timer for 3:15", "set a timer for 3:15"),
        (
            "remember the wifi is blue-heron-77 and the tmer is broken",
            "remember the wifi is blue-heron-77 and the tmer is broken",
        ),
        ("let me know when 20 mins is up", "let me know when 20 mins is up"),
    ],
)
def test_typed_messages_read_as_meant(typed: str, meant: str) -> None:
    assert as_meant(typed) == meant


def test_sentences_part_at_their_ends_but_not_after_a_title() -> None:
    assert sentences("Long day. Can you set a timer for 25 min? Need a nap.") == [
        "Long day.",
        "Can you set a timer for 25 min?",
        "Need a nap.",
    ]
    assert sentences("make a note that my dentist is Dr. Patel") == [
        "make a note that my dentist is Dr. Patel"
    ]


def test_repeat_after_me_is_no_request_to_say_the_last_reply_again() -> None:
    from assistant.nlu.parsed_slots import asks_again

    assert asks_again("say that again") and asks_again("sorry what did you say")
    assert not asks_again("repeat after me the quick brown fox")


def test_remembering_together_keeps_no_fact_by_either_reader() -> None:
    """ "remember when we went to that cafe?" is no fact, by the slot reader nor by the parse's
    gate (the parse once kept "we went to that tiny cafe in Lisbon")."""
    from assistant.nlu.parsed_slots import tells_something

    said = "remember when we went to that tiny cafe in Lisbon?"
    assert slots.read_fact(said, normalize(said), NOW) is None
    assert not tells_something(normalize(said))
    assert tells_something(normalize("remember that my locker is 214"))
