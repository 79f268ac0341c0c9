"""`assistant chat` (interactive, streamed) and `assistant ask` (one turn)."""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from assistant.cli.common import print_json
from assistant.errors import AssistantError, ModelError
from assistant.events import Error, Event, Notice, ReplyDone, ReplyToken
from assistant.turns import TurnRequest

if TYPE_CHECKING:
    from assistant.app import Assistant
    from assistant.conversation import TurnResult

CHAT_HELP = """Commands:
  /new       start a new conversation
  /history   list recent conversations
  /open ID   continue conversation ID
  /help      this help
  /quit      leave (Ctrl-D works too)
While a reply streams, Ctrl-C stops the reply (not the program)."""


def register(subparsers: Any) -> None:
    chat = subparsers.add_parser(
        "chat",
        help="talk with the assistant in the terminal",
        description="Interactive chat; the reply streams as it is generated. " + CHAT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument("--new", action="store_true", help="start a new conversation")
    chat.set_defaults(func=run_chat)

    ask = subparsers.add_parser("ask", help="ask one question (in the current conversation)")
    ask.add_argument("text", nargs="*", help="the message")
    ask.add_argument(
        "--image",
        metavar="FILE",
        help="an image to ask about (its text is read offline and stored with the message)",
    )
    ask.add_argument("--new", action="store_true", help="start a new conversation first")
    ask.add_argument(
        "--json", action="store_true", help='print {"reply", "conversation_id", "timings"} as JSON'
    )
    ask.set_defaults(func=run_ask)


def run_turn(
    app: Assistant,
    request: TurnRequest,
    out: TextIO | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> TurnResult:
    """Run a turn on a worker thread, stream the reply to ``out``; Ctrl-C stops the reply."""
    events: queue.Queue[Event] = queue.Queue()
    unsubscribe = app.bus.subscribe(events.put)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = app.engine.handle(request)
        except BaseException as err:
            outcome["error"] = err
        finally:
            events.put(_DONE)

    worker = threading.Thread(target=work, name="turn", daemon=True)
    worker.start()
    try:
        while True:
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                if app.engine.cancel("ctrl-c") and out is not None:
                    out.write(" [stopped]")
                    out.flush()
                continue
            if event is _DONE:
                break
            if on_event:
                on_event(event)
            if out is not None and isinstance(event, ReplyToken):
                out.write(event.text)
                out.flush()
            elif isinstance(event, Error):
                print(f"\nassistant: {event.message}", file=sys.stderr)
            elif out is not None and isinstance(event, ReplyDone):
                out.write("\n")
                out.flush()
    finally:
        unsubscribe()
    if "error" in outcome:
        raise outcome["error"]
    result: TurnResult = outcome["result"]
    return result


class _Done(Event):
    pass


_DONE = _Done()


def open_app(new: bool = False) -> Assistant:
    from assistant.app import build

    app = build()
    for notice in app.store.notices:
        print(f"assistant: {notice}", file=sys.stderr)
    if new:
        app.engine.new_conversation()
    return app


def run_ask(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if not text and not args.image:
        raise AssistantError("ask needs a message (or --image FILE); e.g. assistant ask hello.")
    app = open_app(args.new)
    try:
        image = app.vision.read(args.image) if args.image else None
        if image is not None:
            for note in image.notes:
                print(f"assistant: {note}", file=sys.stderr)
            from assistant.vision.turn import DEFAULT_QUESTION

            text = text or DEFAULT_QUESTION
        attachments = (image.attachment(),) if image is not None else ()
        failed: list[Error] = []

        def note_failure(event: Event) -> None:
            if isinstance(event, Error) and event.stage == "llm":
                failed.append(event)
            elif isinstance(event, Notice) and event.kind == "warning":
                print(f"assistant: {event.text}", file=sys.stderr)  # e.g. the server fell back

        result = run_turn(
            app,
            TurnRequest(text, attachments=attachments),
            None if args.json else sys.stdout,
            on_event=note_failure,
        )
    finally:
        app.close()
    if args.json:
        print_json(
            {
                "reply": result.reply,
                "conversation_id": result.conversation_id,
                "intent": result.intent.name,
                "interrupted": result.interrupted,
                "timings": result.timings,
            }
        )
    # the apology is stored and shown; the exit code tells scripts the model failed
    return ModelError.exit_code if failed else 0


def _line_reader(app: Assistant) -> Callable[[str], str]:
    """prompt_toolkit (line editing, history) on a terminal; plain lines otherwise."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory

        from assistant import paths

        history = paths.ensure_private_dir(paths.data_dir()) / "chat_history"
        os.close(os.open(history, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))  # private
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        return lambda prompt: session.prompt(prompt)

    def plain(prompt: str) -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return plain


def _print_history(app: Assistant) -> None:
    from assistant.cli.history import format_conversations

    print(format_conversations(app.store.list_conversations(limit=15), app.engine.conversation_id))


def run_chat(args: argparse.Namespace) -> int:
    app = open_app(args.new)
    loader = threading.Thread(target=app.warm_up, name="warm-up", daemon=True)
    loader.start()
    print(
        f"{app.config.assistant.name} — offline assistant. Type /help for commands, /quit to leave."
    )
    count = len(app.store.messages(app.engine.conversation_id))
    if count:
        print(
            f"(continuing conversation {app.engine.conversation_id}, {count} messages; "
            "/new starts a fresh one)"
        )
    read = _line_reader(app)
    in_turn = threading.Event()
    name = app.config.assistant.name.lower()

    def between_turns(event: Event) -> None:
        """Timers and reminders fire while the user is at the prompt: show them at once."""
        if isinstance(event, Notice) and event.kind not in ("timer", "reminder"):
            print(f"\n[{event.kind}] {event.text}", flush=True)  # alarms come as replies
        elif isinstance(event, ReplyDone) and not in_turn.is_set():
            print(f"\n{name}> {event.text}", flush=True)

    unsubscribe = app.bus.subscribe(between_turns)
    with _patched_stdout():
        try:
            return _chat_loop(app, read, loader, in_turn, name)
        finally:
            unsubscribe()
            app.close()


def _patched_stdout() -> Any:
    """On a terminal, text printed by other threads appears above the prompt line."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit.patch_stdout import patch_stdout

        return patch_stdout(raw=True)
    return contextlib.nullcontext()


def _chat_loop(
    app: Assistant,
    read: Callable[[str], str],
    loader: threading.Thread,
    in_turn: threading.Event,
    name: str,
) -> int:
    while True:
        try:
            line = read("you> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            print()
            return 0
        text = line.strip()
        if not text:
            continue
        if text.startswith("/") and _chat_command(app, text):
            if text in ("/quit", "/exit", "/q"):
                return 0
            continue
        if loader.is_alive():
            print("(loading the language model…)", flush=True)
            loader.join()
        sys.stdout.write(f"{name}> ")
        in_turn.set()
        try:
            run_turn(app, TurnRequest(text), sys.stdout)
        except AssistantError as err:
            print(f"assistant: {err}", file=sys.stderr)
        finally:
            in_turn.clear()


def _chat_command(app: Assistant, text: str) -> bool:
    """Handle a /command; False when it is not one (the text is then sent as a message)."""
    command, _, rest = text.partition(" ")
    if command in ("/quit", "/exit", "/q"):
        return True
    if command == "/help":
        print(CHAT_HELP)
    elif command == "/new":
        conversation_id = app.engine.new_conversation()
        print(f"(new conversation {conversation_id})")
    elif command == "/history":
        _print_history(app)
    elif command == "/open":
        try:
            app.engine.open_conversation(int(rest.strip()))
            print(f"(continuing conversation {rest.strip()})")
        except ValueError:
            print("usage: /open ID (see /history)")
        except AssistantError as err:
            print(f"assistant: {err}")
    elif command[1:].isalpha():
        print(f"unknown command {command}; /help lists the commands.")
    else:
        return False
    return True
