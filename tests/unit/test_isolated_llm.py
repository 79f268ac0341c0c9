"""The language model in a child process (used by the desktop app): same protocol, same
streaming and cancelling, errors as one-line ModelErrors, and the child goes away on close."""

from __future__ import annotations

import pytest

from assistant import config as config_module
from assistant.cancel import CancelToken
from assistant.errors import ModelError
from assistant.llm.base import ChatMessage, GenerationOptions
from assistant.llm.isolated import IsolatedLanguageModel

MESSAGES = [ChatMessage("user", "hello there")]


@pytest.fixture
def fake_config():  # type: ignore[no-untyped-def]
    config = config_module.Config()
    config.llm.backend = "fake"
    return config


def test_streams_counts_cancels_and_closes(fake_config):
    llm = IsolatedLanguageModel(fake_config)
    try:
        assert (llm.name, llm.device) == ("fake", "cpu")
        llm.load()
        assert llm.count_tokens(MESSAGES) == 2 + 4
        pieces = list(llm.stream(MESSAGES, GenerationOptions()))
        assert "".join(pieces) == "This is a fake reply."
        cancel = CancelToken()
        seen = []
        for piece in llm.stream(MESSAGES, GenerationOptions(), cancel):
            seen.append(piece)
            cancel.cancel()
        assert seen == ["This"]
        abandoned = llm.stream(MESSAGES, GenerationOptions())
        next(abandoned)
        abandoned.close()  # the engine stops reading after a cancel: the pipe is drained
        assert "".join(llm.stream(MESSAGES, GenerationOptions(max_new_tokens=2))) == "This is"
        process = llm._process
    finally:
        llm.close()
    assert process.returncode == 0


def test_a_missing_model_is_a_one_line_model_error(fake_config):
    fake_config.llm.backend = "torch"
    fake_config.llm.model = "/nonexistent/model.gguf"
    llm = IsolatedLanguageModel(fake_config)
    try:
        with pytest.raises(ModelError, match="does not exist"):
            llm.load()
        with pytest.raises(ModelError, match="does not exist"):
            list(llm.stream(MESSAGES, GenerationOptions()))
    finally:
        llm.close()


def test_a_dead_child_is_reported(fake_config):
    llm = IsolatedLanguageModel(fake_config)
    llm.load()
    llm._process.kill()
    llm._process.wait(5)
    with pytest.raises(ModelError, match="process stopped"):
        llm.count_tokens(MESSAGES)
    llm.close()
