"""The intents the assistant understands, each declared once, here: what it means (for the
language model's parse), the fields the parse copies from the message and worked examples of
that parse, the example phrasings the embedding detector compares with (``exemplars.py``), its
cue words and command phrasing, how its slots are read from a message (``slots.py``) and from a
parse (``parsed_slots.py``), and the skill that answers it (``skills/``).

Adding an intent: one ``IntentSpec`` below (its exemplars in ``exemplars.py``), a skill class,
and, if it has slots, a reader for them. The dialogue state's own intents (``timer.change``,
``undo`` …) are declared here too (``from_message=False``): only the follow-up reader
(``dialogue/followups.py``) gives them, never the detector or a parse of a message on its own.
The image and screen commands are the vision stage's own (``vision/skill.py``): they exist only
with it, and exact phrasings find them before this catalogue is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.nlu import parsed_slots as from_parse
from assistant.nlu import slots as read
from assistant.nlu.base import CHAT
from assistant.nlu.exemplars import EXEMPLARS
from assistant.nlu.normalize import REQUEST_LEAD
from assistant.nlu.parsed_slots import Gate, ParsedReader
from assistant.nlu.slots import SlotReader
from assistant.skills.apps import AppLauncherSkill
from assistant.skills.base import SkillMaker
from assistant.skills.calculator import CalculatorSkill
from assistant.skills.clock import DateSkill, TimeSkill
from assistant.skills.control import HelpSkill, NewConversationSkill, RepeatSkill, StopSkill
from assistant.skills.followups import DismissSkill, NothingToReferSkill, UndoSkill
from assistant.skills.memory_facts import ForgetSkill, RecallSkill, RememberSkill
from assistant.skills.reminders import (
    ReminderCancelSkill,
    ReminderChangeSkill,
    ReminderSkill,
    ReminderStatusSkill,
)
from assistant.skills.timers import (
    TimerCancelSkill,
    TimerChangeSkill,
    TimerSetSkill,
    TimerStatusSkill,
)

# what may come before a command's phrasing ("hey", "please", "can you", "I want you to" …)
LEAD = "^" + REQUEST_LEAD


@dataclass(frozen=True)
class IntentSpec:
    name: str
    meaning: str  # one line for the language model
    fields: tuple[str, ...] = ()  # copied from the message by the parse ("all" is a boolean)
    shots: tuple[tuple[str, dict[str, Any]], ...] = ()  # message → parse, for the prompt
    exemplars: tuple[str, ...] = field(default=())
    # for the embedding detector: words that make the intent likely (a lower similarity then
    # suffices), and a phrasing that is this command whatever it talks about ("remind me …";
    # the embedding only has to agree loosely); both regular expressions on normalised text,
    # the phrasing after an optional lead ("hey", "can you" … see ``LEAD``)
    cue: str = ""
    phrasing: str = ""
    slots: SlotReader = read.read_nothing  # the detector's reading of a message
    parsed: ParsedReader = from_parse.parsed_nothing  # … and of the model's parse
    possible: Gate = from_parse.always  # can a parse of it hold for this message at all?
    skill: SkillMaker | None = None  # None: chat (the language model answers)
    from_message: bool = True  # False: only the dialogue state gives it (a follow-up)

    def __post_init__(self) -> None:
        if not self.exemplars:
            object.__setattr__(self, "exemplars", EXEMPLARS.get(self.name, ()))


INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        CHAT,
        "anything else: questions about the world, advice, how-to, definitions, small talk, "
        "feelings, unit conversions",
        shots=(
            ("what is the capital of Italy", {}),
            ("how do timers work in javascript", {}),
            ("I had a rough day", {}),
            ("how many seconds are in a minute", {}),
        ),
    ),
    IntentSpec(
        "timer.set",
        "start a countdown timer",
        shots=(("set a timer for 5 minutes", {}),),
        cue=r"\b(?:timer|countdown)\b.*\d|\d.*\b(?:timer|countdown)\b",
        phrasing=(
            r"(?:(?:set|start|put on|make|begin|create|need|want|give me|get me|could use|"
            r"i'd like|i need|i want|i would like)\s+(?:a |an |the |my |me a )?(?:new "
            r")?(?:\S+\s+){0,3}(?:timer|countdown)\b|time (?:the|my|a|an|this|\d+)\b|"
            r"(?:let me know|tell me|beep|ping me|alert me) (?:when|once) (?:the )?\d+ "
            + read.UNIT
            + r" (?:are|is|have|has) (?:up|over|gone|passed)"
            # "put 3 hours on the clock for …", "give me 12 minutes on the rice"
            r"|(?:give me|put|stick|pop|set|start)\s+(?:\S+\s+){0,3}?\d+(?:\.\d+)? "
            + read.UNIT
            + r" on (?:the|my)\b"
            r"|(?:a |an |new |another )?(?:timer|countdown)(?: for \d+(?:\.\d+)?| \d+(?:\.\d+)?)?"
            r"(?: please| pls| now)?$)"
        ),
        slots=read.read_timer,
        parsed=from_parse.parsed_timer,
        skill=lambda p: TimerSetSkill(p.book),
        possible=from_parse.can_time,
    ),
    IntentSpec(
        "timer.cancel",
        "cancel running timers",
        ("label", "all"),
        (("cancel all timers", {"all": True}), ("stop the egg timer", {"label": "egg"})),
        cue=r"\b(?:" + read.CANCEL_VERB + r"|stop|forget|end)\b.*\b(?:timers?|countdowns?)\b",
        phrasing=r"(?:" + read.CANCEL_VERB + r")\s+(?:\S+\s+){0,3}(?:timers?|countdowns?)\b",
        slots=read.read_timer_cancel,
        parsed=from_parse.parsed_timer_cancel,
        skill=lambda p: TimerCancelSkill(p.book),
        possible=from_parse.about_a_timer,
    ),
    IntentSpec(
        "timer.status",
        "ask how long is left on timers",
        cue=r"\b(?:left|remaining|long until|still running)\b",
        skill=lambda p: TimerStatusSkill(p.book),
        slots=read.read_timer_status,
        parsed=from_parse.judged_by_message(read.read_timer_status),
        possible=from_parse.asks_how_long_left,
    ),
    IntentSpec(
        "reminder.set",
        "be reminded later to do something",
        ("task",),
        (("remind me to call mom at 6 pm", {"task": "call mom"}),),
        cue=r"\b(?:remind me|reminder|don't let me forget)\b",
        phrasing=(
            r"(?:remind me\b|set (?:a |up a )?reminder\b|add a reminder\b|create a "
            rf"reminder\b)|\bremind me to\b|\b{read.NUDGE}\b"
        ),
        slots=read.read_reminder,
        parsed=from_parse.parsed_reminder,
        skill=lambda p: ReminderSkill(p.book),
        possible=from_parse.can_remind,
    ),
    IntentSpec(
        "calculate",
        "arithmetic on numbers the message gives",
        ("expression",),
        (("what's 15 percent of 80", {"expression": "15 / 100 * 80"}),),
        slots=read.read_calculation,
        parsed=from_parse.parsed_calculation,
        skill=lambda p: CalculatorSkill(),
        possible=from_parse.can_calculate,
    ),
    IntentSpec(
        "memory.remember",
        "store a fact the user tells about themselves or their things",
        ("fact",),
        (
            (
                "remember that my sister's birthday is May 3rd",
                {"fact": "my sister's birthday is May 3rd"},
            ),
        ),
        cue=(
            r"^(?:please\s+)?(?:remember|memori[sz]e|don't forget|keep in mind|note "
            r"that|make a note)\b|^my name is\b"
        ),
        phrasing=(
            r"(?:remember|memori[sz]e|don't forget|keep in mind|note) (?!that time\b|"
            r"when\b|the day\b)(?:that |this |my |i |i'm |i am |me )|^my name is \w+$|"
            r"^call me \w+$|(?:remember|note|store|save) (?!when\b|how\b|what\b|why\b|where\b)"
            r"(?:\S+ ){1,5}(?:is|are|was|were|goes|comes|starts|ends|opens|closes|lives|works"
            r"|leaves|arrives|needs|takes|costs|runs|expires|gets|has) \S+"
            r"|(?:save|store|keep|note|remember) this(?: for"
            r" me)?(?: please)? (?:my|the|our|i)\b|^(?:for future reference|for the record|just so"
            r" you know|fyi) (?!how\b|what\b|why\b|when\b|where\b|who\b|which\b|is\b|are\b|do\b"
            r"|does\b|can\b)|\b(?:remember|note|don't forget|keep in mind) (?:that|this|it)"
            r"(?: please| for me)?$"
        ),
        slots=read.read_fact,
        parsed=from_parse.parsed_fact,
        skill=lambda p: RememberSkill(p.facts),
        possible=from_parse.tells_something,
    ),
    IntentSpec(
        "memory.recall",
        "ask for a fact the user told before",
        ("query",),
        (("what's my wife's name", {"query": "my wife's name"}),),
        cue=r"\b(?:my|me|i)\b",
        phrasing=(
            r"(?:(?:when|what|where|who|which|how old|how do i take)(?:'s| is| are| was|"
            r" were| do| does| did)? (?:my|i)\b(?! (?:do|need|should|can|could|make|get|"
            r"say|cook|fix|stop|learn|start|open|calculate)\b)|do you (?:know|remember) "
            r"(?:my|what i|where i|when i|who i|what my)\b"
            r"|(?:what|where|when|who) did i (?:say|tell you|mention)\b|"
            r"remind me (?:what|who|when|where|which) (?:my|i)\b|(?:did|have) i (?:tell|told"
            r"|mention(?:ed)?) you(?: about)? my\b|"
            r"what do you (?:know|"
            r"remember) about me\b"
            # "what was the garage door code again": a code or a name asked again, so told before
            r"|^(?:what|who|where|when)(?:'s|s| is| was| were| are) the (?:\S+ ){0,3}(?:code|codes"
            r"|password|pin|number|combination|combo|name|address|birthday|plate|reg) again$)"
        ),
        slots=read.read_recall,
        parsed=from_parse.parsed_recall,
        skill=lambda p: RecallSkill(p.facts),
        possible=from_parse.about_the_user,
    ),
    IntentSpec(
        "memory.forget",
        "delete a stored fact",
        ("query", "all"),
        (("forget my sister's birthday", {"query": "my sister's birthday"}),),
        cue=r"^(?:please\s+)?(?:forget|erase|delete|wipe)\b",
        phrasing=(
            r"(?:forget|erase|delete|wipe|remove) (?:my |that |about |where |what |who |"
            r"when |everything|all |the fact|the (?!timers?\b|alarms?\b|reminders?\b))"
        ),
        slots=read.read_forget,
        parsed=from_parse.parsed_forget,
        skill=lambda p: ForgetSkill(p.facts),
        possible=from_parse.can_forget,
    ),
    IntentSpec(
        "app.open",
        "start a desktop application",
        ("app",),
        (("open the text editor", {"app": "text editor"}),),
        cue=r"^(?:please\s+)?(?:open|launch|start|run|fire up)\b",
        phrasing=(
            r"(?:(?:open|launch|start|run|fire up|bring up)\s+(?:up\s+)?(?:the\s+|"
            r"my\s+)?(?!over\b|again\b|fresh\b|from\b|new\b|a\b|all\b|anew\b|"
            r"afresh\b)[a-z0-9.+-]+(?:\s+[a-z0-9.+-]+)?|"
            + read.APP_FIRST
            + ")"
            + read.APP_TAIL
            + "*$"
        ),
        slots=read.read_app,
        parsed=from_parse.parsed_app,
        skill=lambda p: AppLauncherSkill(p.apps, p.launch),
        possible=from_parse.can_open,
    ),
    IntentSpec(
        "time",
        "the current time",
        shots=(("what time is it", {}),),
        cue=r"\btime\b",
        slots=read.read_time,
        parsed=from_parse.parsed_time,
        skill=lambda p: TimeSkill(),
        possible=from_parse.asks_the_time,
    ),
    IntentSpec(
        "date",
        "today's date or weekday",
        cue=r"\b(?:date|day|today|month|year)\b",
        slots=read.read_date,
        parsed=from_parse.parsed_date,
        skill=lambda p: DateSkill(),
        possible=from_parse.asks_the_date,
    ),
    IntentSpec(
        "stop", "stop talking", skill=lambda p: StopSkill(), possible=from_parse.said_to_stop
    ),
    IntentSpec(
        "repeat",
        "say the last reply again",
        shots=(("say that again", {}),),
        cue=r"\b(?:again|repeat|pardon|catch that|missed that)\b",
        skill=lambda p: RepeatSkill(),
        possible=from_parse.asks_again,
    ),
    IntentSpec(
        "conversation.new",
        "start a new conversation",
        slots=read.read_new_conversation,
        parsed=from_parse.judged_by_message(read.read_new_conversation),
        possible=read.starts_afresh,
        skill=lambda p: NewConversationSkill(),
    ),
    IntentSpec(
        "help",
        "what the assistant can do",
        slots=read.read_help,
        parsed=from_parse.judged_by_message(read.read_help),
        possible=from_parse.asks_for_help,
        skill=lambda p: HelpSkill(),
    ),
    # the dialogue state's own: a follow-up about something said or done before
    IntentSpec(
        "timer.change",
        "change the timer set or asked about last",
        skill=lambda p: TimerChangeSkill(p.book),
        from_message=False,
    ),
    IntentSpec(
        "reminder.change",
        "move the reminder set or asked about last",
        skill=lambda p: ReminderChangeSkill(p.book),
        from_message=False,
    ),
    IntentSpec(
        "reminder.cancel",
        "cancel the reminder set or asked about last",
        skill=lambda p: ReminderCancelSkill(p.book),
        from_message=False,
    ),
    IntentSpec(
        "reminder.status",
        "when the reminder referred to goes off",
        skill=lambda p: ReminderStatusSkill(p.book),
        from_message=False,
    ),
    IntentSpec(
        "undo",
        "take back the last change",
        skill=lambda p: UndoSkill(p.book, p.facts),
        from_message=False,
    ),
    IntentSpec(
        "dismiss",
        "drop the question the assistant asked",
        skill=lambda p: DismissSkill(),
        from_message=False,
    ),
    IntentSpec(
        "followup.nothing",
        "a reference to something there is none of",
        skill=lambda p: NothingToReferSkill(),
        from_message=False,
    ),
)

# the intents a message on its own may be (the detector's and the parse's choices)
MESSAGE_INTENTS = tuple(spec for spec in INTENTS if spec.from_message)

BY_NAME = {spec.name: spec for spec in INTENTS}
