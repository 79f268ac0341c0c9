"""Each skill on its own: clock, calculator, facts, app launcher, control skills."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest

from assistant.dialogue.followups import FollowUpReader
from assistant.dialogue.state import DialogueState
from assistant.memory.store import MemoryStore
from assistant.nlu.base import Intent
from assistant.nlu.embeddings import MiniLMEmbedder
from assistant.skills.apps import AppCatalog, AppLauncherSkill, parse_desktop_entry
from assistant.skills.base import ASK_LLM, SkillContext
from assistant.skills.calculator import CalculatorSkill
from assistant.skills.clock import DateSkill, TimeSkill, spoken_moment
from assistant.skills.control import HelpSkill, NewConversationSkill, RepeatSkill, StopSkill
from assistant.skills.memory_facts import (
    EmbeddingFactSelector,
    FactIndex,
    ForgetSkill,
    RecallSkill,
    RememberSkill,
    about_you,
)
from assistant.skills.reminders import second_person

NOW = datetime(2026, 3, 2, 14, 5, 0)


@pytest.fixture
def ctx(tmp_path: Path) -> SkillContext:
    store = MemoryStore(tmp_path / "a.db")
    return SkillContext(store, store.current_conversation(), lambda: NOW, last_reply="Hi there.")


def test_clock(ctx: SkillContext) -> None:
    assert TimeSkill().run(Intent("time"), ctx).text == "It's 2:05 PM."
    assert DateSkill().run(Intent("date"), ctx).text == "Today is Monday, 2 March 2026."
    assert spoken_moment(datetime(2026, 3, 3, 9), NOW) == "9:00 AM tomorrow"
    assert spoken_moment(datetime(2026, 3, 6, 12), NOW) == "12:00 PM on Friday, 6 March 2026"


def test_calculator(ctx: SkillContext) -> None:
    skill = CalculatorSkill()
    assert skill.run(Intent("calculate", 1, {"result": 5000}), ctx).text == "That's 5,000."
    assert skill.run(Intent("calculate", 1, {"result": 2.5}), ctx).text == "That's 2.5."
    assert (
        skill.run(Intent("calculate", 1, {"error": "I can't divide by zero."}), ctx).text
        == "I can't divide by zero."
    )
    assert skill.run(Intent("calculate", 1, {"expression": "calculate"}), ctx).text.startswith(
        "Sorry, I couldn't find a calculation"
    )


def test_control_skills(ctx: SkillContext) -> None:
    assert StopSkill().run(Intent("stop"), ctx).actions == ("stop",)
    repeat = RepeatSkill()
    assert repeat.run(Intent("repeat"), ctx).text == "I haven't said anything yet."
    ctx.store.add_message(ctx.conversation_id, "assistant", "The answer is 42.", intent="chat")
    ctx.store.add_message(ctx.conversation_id, "assistant", "Okay.", intent="stop")
    assert repeat.run(Intent("repeat"), ctx).text == "The answer is 42."
    assert NewConversationSkill().run(Intent("conversation.new"), ctx).actions == (
        "new_conversation",
    )
    assert "timers" in HelpSkill().run(Intent("help"), ctx).text


def test_second_person() -> None:
    assert second_person("my name is Sam and I'm 30") == "your name is Sam and you're 30"
    assert about_you("The user lives in Lyon.") == "you live in Lyon"
    assert about_you("The user's name is Sam.") == "your name is Sam"
    assert about_you("The user is allergic to peanuts.") == "you are allergic to peanuts"
    assert about_you("my car is blue") == "your car is blue"
    assert about_you("The user was born on 3 March.") == "you were born on 3 March"
    assert about_you("The user teaches maths.") == "you teach maths"
    assert about_you("The user flies to Rome.") == "you fly to Rome"
    assert about_you("I tie flies for fishing") == "you tie flies for fishing"  # the user's words
    assert about_you("The wifi password is x7.") == "the wifi password is x7"


def test_remember_recall_forget(ctx: SkillContext, embedder: MiniLMEmbedder) -> None:
    index = FactIndex(ctx.store, embedder)
    remember, recall, forget = RememberSkill(index), RecallSkill(index), ForgetSkill(index)
    assert recall.run(Intent("memory.recall", 1, {"query": "me"}), ctx).text.startswith(
        "You haven't told me"
    )
    assert (
        remember.run(
            Intent("memory.remember", 1, {"fact": "my sister's birthday is May 3rd"}), ctx
        ).text
        == "Okay, I'll remember that your sister's birthday is May 3rd."
    )
    remember.run(Intent("memory.remember", 1, {"fact": "my name is Sam"}), ctx)
    remember.run(Intent("memory.remember", 1, {"fact": "I'm allergic to peanuts"}), ctx)
    assert all(f.embedding for f in ctx.store.facts())
    assert (
        recall.run(Intent("memory.recall", 1, {"query": "when is my sister's birthday"}), ctx).text
        == "You told me that your sister's birthday is May 3rd."
    )
    assert (
        recall.run(Intent("memory.recall", 1, {"query": "what's my name"}), ctx).text
        == "You told me that your name is Sam."
    )
    # not a remembered fact: the language model answers (it sees the conversation)
    unknown = recall.run(Intent("memory.recall", 1, {"query": "what is my favourite car"}), ctx)
    assert unknown.actions == (ASK_LLM,)
    everything = recall.run(Intent("memory.recall", 1, {"query": "me"}), ctx).text
    assert "your name is Sam" in everything and "peanuts" in everything
    assert (
        forget.run(Intent("memory.forget", 1, {"query": "my sister's birthday"}), ctx).text
        == "Okay, I've forgotten that your sister's birthday is May 3rd."
    )
    assert [f.text for f in ctx.store.facts()] == ["my name is Sam", "I'm allergic to peanuts"]
    assert (
        forget.run(Intent("memory.forget", 1, {"query": "my bank pin"}), ctx).text
        == "I don't have anything like that stored."
    )


def test_forget_everything_asks_first(ctx: SkillContext, embedder: MiniLMEmbedder) -> None:
    index = FactIndex(ctx.store, embedder)
    index.add("my name is Sam")
    forget = ForgetSkill(index)
    reader, state = FollowUpReader(), DialogueState()
    assert reader.read("yes", state, NOW) is None  # nothing to confirm yet
    question = forget.run(Intent("memory.forget", 1, {"all": True}), ctx)
    assert "Say yes to confirm" in question.text and len(ctx.store.facts()) == 1
    assert question.asks is not None and question.asks.slot == "confirm"
    state.question = question.asks
    answer = reader.read("No.", state, NOW)
    assert answer == Intent("memory.forget", 1.0, {"all": True, "confirm": False})
    assert forget.run(answer, ctx).text == "Okay, I'll keep everything."
    assert len(ctx.store.facts()) == 1
    assert reader.read("what's the weather", state, NOW) is None  # moved on: the detector reads it
    answer = reader.read("Yes, please", state, NOW)
    assert answer is not None
    done = forget.run(answer, ctx)
    assert done.text.startswith("Done. I've forgotten everything")
    assert ctx.store.facts() == []
    assert done.undo is not None and done.undo.texts == ("my name is Sam",)


def test_a_request_for_advice_keeps_the_facts_it_depends_on_in_mind(
    ctx: SkillContext, embedder: MiniLMEmbedder
) -> None:
    index = FactIndex(ctx.store, embedder)
    for fact in (
        "The user is vegan (no meat, fish, eggs, dairy or honey).",
        "The user is allergic to cats.",
        "The user's son's name is Oliver.",
        "The wifi password at home is bluebird42.",
        "The user likes coffee black, no sugar.",
    ):
        index.add(fact)
    selector = EmbeddingFactSelector(index)
    # a question about the user
    assert selector.relevant("how do I like my coffee", 3)[0].startswith("The user likes coffee")
    assert selector.relevant("What should I put in my sandwich?", 3)[0].startswith(
        "The user is vegan"
    )
    assert selector.relevant("My friend is giving away kittens. Should I take one?", 3) == [
        "The user is allergic to cats."
    ]
    # no advice asked: nothing said next to the message (it would cost the reply time)
    assert selector.relevant("What's the capital of France?", 3) == []
    # another question: only a fact very like it
    assert selector.relevant("what's the wifi password again", 3) == [
        "The wifi password at home is bluebird42."
    ]
    assert selector.relevant("tell me about sandwiches", 3) == []


def test_fact_index_ranks_by_meaning(ctx: SkillContext, embedder: MiniLMEmbedder) -> None:
    index = FactIndex(ctx.store, embedder)
    for fact in ("my name is Sam", "I'm allergic to peanuts", "my car is a blue honda"):
        index.add(fact)
    ctx.store.add_fact("I live in Lisbon")  # stored without a vector: embedded on the fly

    def closest(query: str) -> str:
        return index.ranked(query)[0][1].text

    assert closest("can I eat this peanut butter cookie?") == "I'm allergic to peanuts"
    assert closest("which city do I live in") == "I live in Lisbon"
    assert len(index.ranked("hello")) == 4


def _desktop(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("[Desktop Entry]\nType=Application\n" + body, encoding="utf-8")


@pytest.fixture
def launched() -> list[list[str]]:
    return []


@pytest.fixture
def launcher(tmp_path: Path, launched: list[list[str]]) -> AppLauncherSkill:
    apps = tmp_path / "applications"
    _desktop(
        apps,
        "gedit.desktop",
        "Name=Text Editor\nGenericName=Editor\nExec=gedit %U\nKeywords=text;notes;\n",
    )
    _desktop(
        apps,
        "firefox.desktop",
        "Name=Firefox Web Browser\nGenericName=Web Browser\n"
        "Exec=env MOZ_X=1 /usr/lib/firefox/firefox %u\n",
    )
    _desktop(apps, "hidden.desktop", "Name=Secret\nExec=secret\nNoDisplay=true\n")
    _desktop(apps, "vim.desktop", "Name=Vim\nExec=vim %F\nTerminal=true\n")
    catalog = AppCatalog({"calc": ["gnome-calculator", "--mode=basic"]}, dirs=[apps])

    def launch(argv: Sequence[str]) -> None:
        launched.append(list(argv))

    return AppLauncherSkill(catalog, launch)


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("text editor", ["gedit"]),
        ("the editor", ["gedit"]),
        ("firefox", ["env", "MOZ_X=1", "/usr/lib/firefox/firefox"]),
        ("web browser", ["env", "MOZ_X=1", "/usr/lib/firefox/firefox"]),
        ("calc", ["gnome-calculator", "--mode=basic"]),
    ],
)
def test_launches_allowed_apps_without_a_shell(
    launcher: AppLauncherSkill,
    ctx: SkillContext,
    launched: list[list[str]],
    name: str,
    argv: list[str],
) -> None:
    reply = launcher.run(Intent("app.open", 1, {"app": name}), ctx)
    assert reply.text.startswith("Opening ")
    assert launched == [argv]


@pytest.mark.parametrize(
    "name",
    [
        "firefox; rm -rf ~",
        "$(reboot)",
        "`id`",
        "../../bin/sh",
        "/usr/bin/xterm",
        "gedit && curl x",
        "firefox | nc host 1",
        "secret",
        "bash",
        "x" * 200,
    ],
)
def test_refuses_injections_paths_and_unknown_apps(
    launcher: AppLauncherSkill, ctx: SkillContext, launched: list[list[str]], name: str
) -> None:
    reply = launcher.run(Intent("app.open", 1, {"app": name}), ctx)
    assert reply.text.startswith("I can't open")
    assert launched == []


def test_real_spawn_runs_a_program_without_a_shell(tmp_path: Path, ctx: SkillContext) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "tool"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    skill = AppLauncherSkill(AppCatalog({"tool": [str(script)]}, use_desktop=False))
    assert skill.run(Intent("app.open", 1, {"app": "tool"}), ctx).text == "Opening tool."
    import time

    deadline = time.monotonic() + 5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()


def test_desktop_entry_terminal_apps(tmp_path: Path) -> None:
    _desktop(tmp_path, "vim.desktop", "Name=Vim\nExec=vim %F\nTerminal=true\n")
    assert parse_desktop_entry(tmp_path / "vim.desktop", None) is None
    app = parse_desktop_entry(tmp_path / "vim.desktop", "/usr/bin/x-terminal-emulator")
    assert app is not None and app.command == ("/usr/bin/x-terminal-emulator", "-e", "vim")
