# Two commands do everything on a fresh Debian/Ubuntu machine:
#   make run    installs what is missing (system packages, .venv, models) and opens the assistant
#   make test   the same set-up plus test tools, then lint, types and every test
# Re-running is fast: each step leaves a stamp and runs again only when its inputs change.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMPS := $(VENV)/.stamps

# Needed to run: audio I/O, the espeak-ng phonemiser/voice, Qt's X11 platform plugin, and the
# tools that build the WebRTC echo canceller (aec-audio-processing ships only as source).
RUN_PACKAGES := libportaudio2 libsndfile1 espeak-ng libasound2-plugins \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xinerama0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 \
	libdbus-1-3 fonts-dejavu-core \
	swig meson ninja-build g++
# Needed by the tests: a virtual sound server and display, tools to drive and record them.
TEST_PACKAGES := pulseaudio pulseaudio-utils alsa-utils sox xvfb xdotool x11-utils \
	imagemagick

.PHONY: run test test-fast setup setup-test lint bench \
	models clean package install-desktop uninstall-desktop speech-clips

run: setup
	$(VENV)/bin/assistant

setup: models

setup-test: setup $(STAMPS)/test-system $(STAMPS)/package-tools

test: setup-test lint speech-clips
	$(PY) -m pytest

test-fast: setup-test lint speech-clips
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check assistant ui tests
	$(VENV)/bin/ruff format --check assistant ui tests
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/assistant bench all --json

$(STAMPS)/system: scripts/ensure-system-packages.sh
	@mkdir -p $(STAMPS)
	./scripts/ensure-system-packages.sh $(RUN_PACKAGES)
	@touch $@

$(STAMPS)/test-system: scripts/ensure-system-packages.sh $(STAMPS)/system
	./scripts/ensure-system-packages.sh $(TEST_PACKAGES)
	@touch $@

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first, from the CPU build (a plain resolve would pull GB of CUDA packages).
$(STAMPS)/torch: | $(PY)
	@mkdir -p $(STAMPS)
	$(PIP) install torch==2.13.0
	@touch $@

# Everything else exactly as tested (requirements.lock is a full `pip freeze`), without
# resolving: that keeps openai-whisper from pulling triton/CUDA.
$(STAMPS)/deps: requirements.lock pyproject.toml $(STAMPS)/torch $(STAMPS)/system
	$(PIP) install --no-deps -r requirements.lock
	$(PIP) install --no-deps -e .
	@touch $@

# Always asked: it only reads the manifest when everything is prepared (the cache may be gone).
models: $(STAMPS)/deps
	$(VENV)/bin/assistant models prepare

# Human speech with transcripts for the ASR tests (pocketsphinx sdist → the user cache, once).
speech-clips: $(STAMPS)/deps
	$(PY) -m tests.speech_clips fetch

# PyInstaller (the `package` extra in pyproject.toml): for `make package` and the bundle test.
$(STAMPS)/package-tools: pyproject.toml $(STAMPS)/deps
	$(PY) -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['package'])" | xargs $(PIP) install
	@touch $@

# The one-folder app in dist/assistant/ (packaging/assistant.spec).
package: setup $(STAMPS)/package-tools
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/assistant.spec
	@du -sh dist/assistant

# Desktop entry, icon and AppStream metainfo for the current user (the bundle if built, else .venv).
install-desktop:
	./packaging/desktop-entry.sh install

uninstall-desktop:
	./packaging/desktop-entry.sh uninstall

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache test-output
