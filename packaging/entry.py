"""Entry point of the bundled app (PyInstaller): the ``assistant`` command.

The app starts helper processes as ``sys.executable -m <module>`` (the ONNX model builder, the
pyttsx3 voice, the window launched from the CLI). In a bundle ``sys.executable`` is this program,
so ``-m <module> …`` is honoured here the way the Python interpreter would.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def main() -> int:
    multiprocessing.freeze_support()
    if len(sys.argv) > 2 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from assistant.cli import main as assistant_main

    return assistant_main()


if __name__ == "__main__":
    sys.exit(main())
