"""`assistant intent "text" --json` (and `--stdin`), `assistant timers`."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from assistant.cli.common import print_json
from assistant.errors import AssistantError


def register(subparsers: Any) -> None:
    intent = subparsers.add_parser(
        "intent", help="show the intent, slots, sentiment and emotion of a message"
    )
    intent.add_argument("text", nargs="?", help="the message (or use --stdin)")
    intent.add_argument("--json", action="store_true", help="print one JSON object")
    intent.add_argument(
        "--stdin", action="store_true", help="read one message a line, print one JSON object a line"
    )
    intent.set_defaults(func=run_intent)
    timers = subparsers.add_parser("timers", help="list the timers and reminders that are set")
    timers.add_argument("--json", action="store_true", help="print a JSON list")
    timers.set_defaults(func=run_timers)


def understand(detector: Any, affect: Any, text: str) -> dict[str, Any]:
    intent = detector.detect(text)
    feeling = affect.analyze(text)
    return {
        "intent": intent.name,
        "confidence": round(float(intent.confidence), 4),
        "slots": dict(intent.slots),
        "sentiment": {"label": feeling.label, "score": round(float(feeling.score), 4)},
        "emotion": feeling.emotion,
    }


def run_intent(args: argparse.Namespace) -> int:
    from assistant.nlu.factory import build_understanding

    if not args.stdin and not (args.text or "").strip():
        raise AssistantError(
            'give a message, e.g. assistant intent "set a timer for 5 minutes"'
            ", or --stdin to read one message a line."
        )
    from assistant import config as config_module

    detector, affect = build_understanding(config_module.load())
    if args.stdin:
        for line in sys.stdin:
            text = line.strip()
            if text:
                print_json(understand(detector, affect, text))
        return 0
    result = understand(detector, affect, args.text)
    if args.json:
        print_json(result)
    else:
        slots = ", ".join(f"{k}={v!r}" for k, v in result["slots"].items())
        print(f"{result['intent']} ({result['confidence']:.2f}){'  ' + slots if slots else ''}")
        print(
            f"sentiment {result['sentiment']['label']} ({result['sentiment']['score']:+.2f}), "
            f"emotion {result['emotion']}"
        )
    return 0


def run_timers(args: argparse.Namespace) -> int:
    from datetime import datetime

    from assistant import paths
    from assistant.memory.store import MemoryStore
    from assistant.skills.alarms import AlarmBook, describe_duration
    from assistant.skills.clock import spoken_moment

    store = MemoryStore(paths.database_file())
    try:
        alarms = AlarmBook(store).pending()
    finally:
        store.close()
    now = time.time()
    if args.json:
        print_json(
            [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "label": a.label,
                    "due": datetime.fromtimestamp(a.due_at).isoformat(timespec="seconds"),
                    "remaining_s": round(a.remaining_s(now)),
                    "duration_s": a.duration_s,
                }
                for a in alarms
            ]
        )
        return 0
    if not alarms:
        print("No timers or reminders are set.")
        return 0
    for a in alarms:
        due = spoken_moment(datetime.fromtimestamp(a.due_at), datetime.fromtimestamp(now))
        what = a.label or (describe_duration(a.duration_s) if a.duration_s else "")
        left = a.remaining_s(now)
        when = f"in {describe_duration(left)}" if left >= 1 else "due (fires when the app runs)"
        print(f"{a.kind:8}  {due:>28}  {when:<30}  {what}")

    return 0
