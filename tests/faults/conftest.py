"""Shared pieces of the fault matrix: an engine on a real SQLite file with a scripted model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Config
from assistant.conversation import ConversationEngine
from assistant.events import Error, Event, EventBus
from assistant.llm.fake import FakeLanguageModel
from assistant.memory.store import MemoryStore
from tests.nlu.conftest import embedder

__all__ = ["embedder"]


class Rig:
    def __init__(self, db: Path, llm: FakeLanguageModel | None = None) -> None:
        self.events: list[Event] = []
        self.bus = EventBus()
        self.bus.subscribe(self.events.append)
        self.store = MemoryStore(db)
        self.llm = llm or FakeLanguageModel("Fine, thanks.")
        self.engine = ConversationEngine(
            store=self.store, llm=self.llm, config=Config(), bus=self.bus
        )

    def texts(self) -> list[tuple[str, str]]:
        return [(m.role, m.text) for m in self.store.messages(self.engine.conversation_id)]

    def errors(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, Error)]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path / "data" / "assistant.db")
