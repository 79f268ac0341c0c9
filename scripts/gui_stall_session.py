"""A scripted session in the real app window, measured by its own stall monitor.

Runs `assistant gui` as built by ``ui.app`` (the configured models: by default the real
language model in its child process, the real understanding stage, voice loop and TTS) on the
offscreen platform, types ``--turns`` messages (commands and chat questions) into the message
box, opens History, Insights and Settings between turns, and reports every GUI-thread stall over
the budget, split into start-up (until the models are loaded) and the turns.

    .venv/bin/python scripts/gui_stall_session.py [--turns 20] [--screenshots docs/screenshots]
        [--trace]

The conversation goes to a fresh data directory (the models come from the usual cache).
``--trace`` samples what every thread was running while the GUI thread was blocked.
``--screenshots`` saves the window in light and dark, at its minimum and a large size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MESSAGES = (
    "What time is it?",
    "What is the capital of Australia?",
    "Set a timer for 3 minutes",
    "Explain in two sentences why the sky is blue.",
    "What's 17 times 23?",
    "My sister is called Maya.",
    "Give me a Python one-liner that reverses a string.",
    "What's my sister's name?",
    "Remind me to call mum at 6 pm",
    "What colour do you get when you mix blue and yellow?",
    "How many minutes are left on my timer?",
    "Name three planets of the solar system.",
    "Cancel the timer",
    "Write a haiku about autumn.",
    "What day is it today?",
    "What is a prime number?",
    "Set a timer for 10 seconds",
    "Suggest a name for a grey cat.",
    "What is 2 to the power of 10?",
    "Thanks, that's all for now.",
)


class Tracer(threading.Thread):
    """While the GUI thread is late by more than ``after_ms``, sample every thread's stack."""

    def __init__(self, monitor: object, main: int, after_ms: float = 120.0) -> None:
        super().__init__(name="stall-tracer", daemon=True)
        self.monitor, self.main, self.after = monitor, main, after_ms / 1000.0
        self.samples: list[dict[str, object]] = []
        self._stop = threading.Event()

    def run(self) -> None:
        reported = 0.0
        while not self._stop.wait(0.03):
            last = self.monitor.last_tick  # type: ignore[attr-defined]
            late = time.perf_counter() - last
            if late < self.after or last == reported:
                continue
            reported = last
            names = {t.ident: t.name for t in threading.enumerate()}
            stacks = {
                names.get(ident, str(ident)): "".join(traceback.format_stack(frame)[-6:])
                for ident, frame in sys._current_frames().items()
                if ident != threading.get_ident()
            }
            self.samples.append({"late_ms": round(late * 1000), "stacks": stacks})

    def stop(self) -> None:
        self._stop.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--screenshots", type=Path, help="save window screenshots here")
    parser.add_argument("--trace", action="store_true", help="sample stacks during stalls")
    parser.add_argument("--out", type=Path, help="write the figures (JSON) here too")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    data = Path(tempfile.mkdtemp(prefix="assistant-stalls-"))
    os.environ["XDG_DATA_HOME"] = str(data / "data")
    os.environ["XDG_CONFIG_HOME"] = str(data / "config")
    os.environ["XDG_RUNTIME_DIR"] = str(data / "run")
    (data / "run").mkdir(mode=0o700)
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QEventLoop, QSize, Qt, QTimer
    from PySide6.QtTest import QTest

    from assistant import config as config_module
    from assistant.logging_setup import setup_logging
    from ui.app import DesktopApp, create_application
    from ui.bridge import Bridge
    from ui.theme import apply_theme

    setup_logging()
    config = config_module.load()
    app = create_application()
    apply_theme(app, "light")
    desktop = DesktopApp(config, Bridge(config))
    window, bridge, monitor = desktop.window, desktop.bridge, desktop.monitor
    tracer = Tracer(monitor, threading.get_ident()) if args.trace else None

    def wait(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")
            wait(0.05)

    phases: list[tuple[str, int]] = []  # (phase, index of its first stall)

    def phase(name: str) -> None:
        phases.append((name, len(monitor.stalls)))

    started = time.perf_counter()
    phase("start-up")
    desktop.start()
    if tracer is not None:
        tracer.start()
    wait_for(lambda: bridge.is_ready, 300, "the assistant")
    wait_for(
        lambda: bridge._warm_up is not None and not bridge._warm_up.is_alive(),
        900,
        "the models to load",
    )
    loaded_after = time.perf_counter() - started
    wait(1.0)

    phase("during the turns")
    done: list[object] = []
    bridge.replyDone.connect(done.append)
    turn_times = []
    for index in range(args.turns):
        text = MESSAGES[index % len(MESSAGES)]
        before = len(done)
        t0 = time.perf_counter()
        window.input.setFocus()
        QTest.keyClicks(window.input, text)
        QTest.keyClick(window.input, Qt.Key.Key_Return)
        wait_for(lambda b=before: len(done) > b and not bridge.busy, 300, f"reply {index + 1}")  # type: ignore[misc]
        turn_times.append(time.perf_counter() - t0)
        wait(0.3)
        step = index % 3  # between turns, as a user would look around
        if step == 0:
            window.history_action.trigger()
            wait(0.3)
            window.history_action.trigger()
        elif step == 1:
            window.tabs.setCurrentWidget(window.insights)
            wait(0.8)
            window.tabs.setCurrentIndex(0)
        else:
            window.open_settings()
            wait(0.8)
            window.settings_dialog.reject()
        wait(0.3)
    phase("end")
    if tracer is not None:
        tracer.stop()

    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
        for theme in ("light", "dark"):
            apply_theme(app, theme)
            for label, size in (("min", window.minimumSize()), ("large", QSize(1200, 820))):
                window.resize(size)
                wait(0.5)
                window.grab().save(str(args.screenshots / f"session-{theme}-{label}.png"))
        apply_theme(app, "light")
        window.resize(QSize(1000, 760))
        wait(0.5)
        window.grab().save(str(args.screenshots / "main-window.png"))
        window.tabs.setCurrentWidget(window.insights)
        wait(1.0)
        window.tabs.currentWidget().grab().save(str(args.screenshots / "insights.png"))
        window.tabs.setCurrentIndex(0)

    stalls = list(monitor.stalls)
    report: dict[str, object] = {
        "typed_turns": args.turns,
        "budget_ms": monitor.warn_ms,
        "models_loaded_s": round(loaded_after, 1),
        "turn_s": {
            "median": round(sorted(turn_times)[len(turn_times) // 2], 2) if turn_times else None,
            "max": round(max(turn_times), 2) if turn_times else None,
        },
        "longest_stall_ms": round(monitor.max_stall_ms),
    }
    for (name, first), (_next, end) in itertools.pairwise(phases):
        part = stalls[first:end]
        report[name] = {
            "stalls_over_budget": len(part),
            "longest_ms": round(max(part)) if part else 0,
        }
    if tracer is not None:
        report["traces"] = tracer.samples
    desktop.quit()
    text = json.dumps(report, indent=2)
    print(text, flush=True)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    code = main()
    # the native libraries' threads (onnxruntime, torch) may crash the interpreter's own
    # teardown after the app quit; the figures are out by now
    os._exit(code)
