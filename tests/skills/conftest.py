"""Skills tests share the session's real MiniLM embedder with the understanding tests."""

from tests.nlu.conftest import embedder

__all__ = ["embedder"]
