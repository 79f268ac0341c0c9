"""The numpy MiniLM: normalised vectors, meaning-based similarity, parity with the reference."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.nlu.embeddings import MiniLMEmbedder, encode_cached, from_blob, to_blob


def test_vectors_are_unit_length_and_similar_meanings_are_close(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.encode(
        [
            "set a timer for five minutes",
            "start a 5 minute countdown",
            "who wrote pride and prejudice",
        ]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.5 > vectors[0] @ vectors[2]


def test_batch_equals_one_by_one_despite_padding(embedder: MiniLMEmbedder) -> None:
    texts = ["hi", "remind me to call mom at six in the evening tomorrow please"]
    batch = embedder.encode(texts)
    single = np.stack([embedder.encode([t])[0] for t in texts])
    assert np.allclose(batch, single, atol=1e-5)


def test_blob_round_trip_and_cache_file(embedder: MiniLMEmbedder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    vector = embedder.encode(["my name is Sam"])[0]
    assert np.array_equal(from_blob(to_blob(vector)), vector)
    first = encode_cached(embedder, ["a", "b"], tmp_path)
    assert len(list(tmp_path.glob("embeddings-*.npy"))) == 1
    assert np.array_equal(encode_cached(embedder, ["a", "b"], tmp_path), first)


@pytest.mark.slow
def test_same_vectors_as_sentence_transformers(embedder: MiniLMEmbedder) -> None:
    from sentence_transformers import SentenceTransformer

    from assistant.nlu.embeddings import packaged_model_dir

    reference = SentenceTransformer(str(packaged_model_dir()), device="cpu", local_files_only=True)
    texts = [
        "What time is it?",
        "Remind me to call mom at 6 pm!",
        "ünïcödé and émojis 🙂",
        "a much longer sentence " * 20,
    ]
    assert np.allclose(embedder.encode(texts), reference.encode(texts), atol=1e-4)
