"""`assistant listen` (hands-free or push-to-talk conversation) and `assistant devices`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from assistant.cli.common import print_json
from assistant.events import (
    AssistantState,
    Error,
    Event,
    FinalTranscript,
    InputLevel,
    Interrupted,
    ModelLoaded,
    ModelLoading,
    Notice,
    PartialTranscript,
    ReplyDone,
    ReplyStarted,
    ReplyToken,
    SpeakingStopped,
    StateChanged,
)

if TYPE_CHECKING:
    from assistant.audio.devices import Device


def register(subparsers: Any) -> None:
    listen = subparsers.add_parser(
        "listen",
        help="talk with the assistant hands-free (microphone and speaker)",
        description="A spoken conversation in the terminal: talk, pause, and the assistant "
        "answers aloud; talk over it to interrupt. Lines you type join the same "
        "conversation. Ctrl-C quits.",
    )
    listen.add_argument(
        "--push-to-talk",
        action="store_true",
        help="press Enter to start talking and Enter again to send, instead "
        "of automatic end-of-turn detection",
    )
    listen.add_argument("--mute", action="store_true", help="show replies without speaking")
    listen.add_argument("--new", action="store_true", help="start a new conversation")
    listen.add_argument("--once", action="store_true", help="leave after the first spoken exchange")
    listen.set_defaults(func=run_listen)

    devices = subparsers.add_parser("devices", help="list microphones and speakers")
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(func=run_devices)


# --- devices ------------------------------------------------------------------------------


def run_devices(args: argparse.Namespace) -> int:
    from assistant.audio.devices import list_devices

    devices = list_devices()
    inputs = [d for d in devices if d.inputs > 0]
    outputs = [d for d in devices if d.outputs > 0]
    if args.json:
        print_json(
            {
                "inputs": [_device_json(d, "input") for d in inputs],
                "outputs": [_device_json(d, "output") for d in outputs],
            }
        )
        return 0
    for title, group, direction in (
        ("Microphones", inputs, "input"),
        ("Speakers", outputs, "output"),
    ):
        print(f"{title}:")
        if not group:
            print(
                "  none found"
                + (
                    " (voice input is off; text chat still works)"
                    if direction == "input"
                    else " (replies are only shown)"
                )
            )
        for d in group:
            default = d.is_default_input if direction == "input" else d.is_default_output
            channels = d.inputs if direction == "input" else d.outputs
            print(
                f"  {'*' if default else ' '} {d.index:>3}  {d.name}  ({d.hostapi}, "
                f"{channels} ch, {d.default_rate:.0f} Hz)"
            )
    print(
        "Choose with audio.input_device / audio.output_device (an index or part of a name); "
        "* = default."
    )
    return 0


def _device_json(d: Device, direction: str) -> dict[str, Any]:
    return {
        "index": d.index,
        "name": d.name,
        "hostapi": d.hostapi,
        "channels": d.inputs if direction == "input" else d.outputs,
        "default_rate": d.default_rate,
        "default": d.is_default_input if direction == "input" else d.is_default_output,
    }


# --- listen -------------------------------------------------------------------------------

_STATE_LABEL = {
    AssistantState.IDLE: "idle",
    AssistantState.LISTENING: "listening",
    AssistantState.THINKING: "thinking",
    AssistantState.SPEAKING: "speaking",
}


class ConsoleView:
    """Transcript and reply on stdout; a live status line (state, level, partial) on stderr."""

    def __init__(self, out: TextIO, status: TextIO) -> None:
        self.out = out
        self.status = status
        self.live = status.isatty()
        self._lock = threading.Lock()
        self._state = AssistantState.IDLE
        self._level = -100.0
        self._partial = ""
        self._in_reply = False
        self.exchanges = 0
        self.exchange_done = threading.Event()

    def _status_line(self) -> str:
        bars = max(0, min(10, int((self._level + 60) / 6)))
        meter = "#" * bars + "." * (10 - bars)
        text = f"[{_STATE_LABEL[self._state]:>9}] {meter} {self._partial}"
        return text[:120]

    def _redraw(self) -> None:
        if self.live and not self._in_reply:
            self.status.write("\r\x1b[2K" + self._status_line())
            self.status.flush()

    def clear(self) -> None:
        if self.live:
            self.status.write("\r\x1b[2K")
            self.status.flush()

    def _line(self, stream: TextIO, text: str) -> None:
        self.clear()
        stream.write(text + "\n")
        stream.flush()
        self._redraw()

    def note(self, text: str) -> None:
        """A line on the status stream (thread-safe)."""
        with self._lock:
            self._line(self.status, text)

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, InputLevel):
                self._level = event.dbfs
                self._redraw()
            elif isinstance(event, StateChanged):
                self._state = event.state
                if event.state is not AssistantState.LISTENING:
                    self._partial = ""
                if self.live:
                    self._redraw()
                else:
                    self._line(self.status, f"· {_STATE_LABEL[event.state]}")
            elif isinstance(event, PartialTranscript):
                self._partial = event.text
                self._redraw()
            elif isinstance(event, FinalTranscript):
                self._partial = ""
                if event.text:
                    self._line(self.out, f"you: {event.text}")
            elif isinstance(event, ReplyStarted):
                self.clear()
                self.out.write("assistant: ")
                self.out.flush()
                self._in_reply = True
            elif isinstance(event, ReplyToken):
                self.out.write(event.text)
                self.out.flush()
            elif isinstance(event, ReplyDone):
                self.out.write(" [stopped]\n" if event.interrupted else "\n")
                self.out.flush()
                self._in_reply = False
                self._redraw()
            elif isinstance(event, SpeakingStopped):
                if event.interrupted:
                    self._line(
                        self.status, f"  (interrupted; kept what was said: {event.spoken_text!r})"
                    )
                self.exchanges += 1
                self.exchange_done.set()
            elif isinstance(event, Interrupted):
                self._line(self.status, f"  ({event.reason})")
            elif isinstance(event, ModelLoading):
                self._line(self.status, f"loading {event.role} model {event.name} …")
            elif isinstance(event, ModelLoaded):
                self._line(self.status, f"loaded {event.name} in {event.seconds:.1f} s")
            elif isinstance(event, Error):
                self._line(self.status, f"assistant: {event.message}")
            elif isinstance(event, Notice):
                self._line(self.status, f"note: {event.text}")


def run_listen(args: argparse.Namespace) -> int:
    from assistant import app as app_module
    from assistant.logging_setup import capture_native_stderr
    from assistant.voice.setup import build_voice_loop

    if not args.debug:
        capture_native_stderr()  # ALSA/PortAudio chatter goes to the log, not the terminal
    assistant = app_module.build()
    view = ConsoleView(sys.stdout, sys.stderr)
    unsubscribe = assistant.bus.subscribe(view)
    if args.new:
        assistant.engine.new_conversation()
    loop = build_voice_loop(assistant, push_to_talk_only=args.push_to_talk, speak=not args.mute)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        assistant.warm_up()
        loop.warm_up()
        loop.start()
        if args.push_to_talk:
            hint = "Press Enter to talk, Enter again to send; or type a message."
        else:
            hint = "Listening: just talk (pause to let me answer), or type a message."
        view.note(hint + " Ctrl-C quits.")
        _read_lines(loop, view, args)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        loop.stop()
        unsubscribe()
        view.clear()
        assistant.close()
        print("bye.", file=sys.stderr)
    return 0


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _read_lines(loop: Any, view: ConsoleView, args: argparse.Namespace) -> None:
    """Typed lines join the conversation; in push-to-talk an empty line toggles talking."""
    lines: list[str | None] = []
    arrived = threading.Event()

    def reader() -> None:  # stdin on a thread, so Ctrl-C and --once stay responsive
        for line in sys.stdin:
            lines.append(line)
            arrived.set()
        lines.append(None)
        arrived.set()

    threading.Thread(target=reader, name="stdin", daemon=True).start()
    talking = False
    stdin_open = True
    while True:
        if args.once and view.exchange_done.is_set():
            return
        if not arrived.wait(0.1):
            continue
        arrived.clear()
        while lines:
            line = lines.pop(0)
            if line is None:
                stdin_open = False  # keep listening: voice still works without stdin
                continue
            text = line.strip()
            if args.push_to_talk and not text:
                talking = not talking
                loop.push_to_talk(talking)
                view.note("  (talking… Enter to send)" if talking else "  (sent)")
            elif text:
                loop.submit(text, "typed")
        if not stdin_open and args.push_to_talk:
            return
