"""The Whisper prepare steps: CTranslate2 → openai-whisper checkpoint (lossless), joined parts."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from assistant.asr.prepare import ct2_folder, read_ct2
from assistant.errors import ModelError
from assistant.model_store import ModelStore
from tests.asr.conftest import Clip, RecognizerFactory

TINY = "whisper-tiny-en"


@pytest.fixture(scope="module")
def fresh_store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    """Prepared from scratch by the real preparers (not the user's cache)."""
    store = ModelStore(cache=tmp_path_factory.mktemp("prepared"))
    ran = store.prepare(store.entry(TINY))
    assert ran == ["ct2-to-openai-whisper"]
    return store


def test_checkpoint_loads_in_openai_whisper_and_is_lossless(fresh_store: ModelStore) -> None:
    import torch
    import whisper

    path = fresh_store.artefact(TINY, "ct2-to-openai-whisper")
    assert path.name == f"{TINY}-openai.pt"
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["dims"] == {
        "n_mels": 80,
        "n_audio_ctx": 1500,
        "n_audio_state": 384,
        "n_audio_head": 6,
        "n_audio_layer": 4,
        "n_vocab": 51864,
        "n_text_ctx": 448,
        "n_text_state": 384,
        "n_text_head": 6,
        "n_text_layer": 4,
    }
    model = whisper.load_model(str(path), device="cpu")  # strict load_state_dict
    assert not model.is_multilingual
    state = checkpoint["model_state_dict"]
    assert {t.dtype for t in state.values()} == {torch.float16}
    ct2 = read_ct2(ct2_folder(fresh_store, fresh_store.entry(TINY)) / "model.bin")
    fused = ct2["decoder/layer_2/self_attention/linear_0/weight"]
    assert np.array_equal(state["decoder.blocks.2.attn.key.weight"].numpy(), np.split(fused, 3)[1])
    assert np.array_equal(
        state["encoder.positional_embedding"].numpy(), ct2["encoder/position_encodings/encodings"]
    )
    assert fresh_store.manifest_info(TINY, "ct2-to-openai-whisper")["dims"]["n_vocab"] == 51864


@pytest.mark.slow
def test_openai_on_converted_checkpoint_matches_faster_whisper_float32(
    human_clips: list[Clip], recognizer: RecognizerFactory
) -> None:
    """The round trip: the same weights give the same words in both implementations (on the
    same whole 30-s window)."""
    openai = recognizer("openai-whisper")
    faster = recognizer("faster-whisper", compute_type="float32", short_window=False)
    same = [
        c.name
        for c in human_clips
        if openai.transcribe(c.audio).text == faster.transcribe(c.audio).text
    ]
    assert len(same) == len(human_clips), (
        f"differ on {set(c.name for c in human_clips) - set(same)}"
    )


@pytest.mark.slow
def test_concat_ct2_joins_the_base_model_for_faster_whisper(tmp_path: Path) -> None:
    from faster_whisper import WhisperModel

    store = ModelStore(cache=tmp_path)
    entry = store.entry("whisper-base")
    store.run_step(entry, "concat-ct2")
    folder = store.artefact(entry, "concat-ct2")
    assert folder.name == "whisper-base-ct2"
    assert (folder / "model.bin").stat().st_size == 145_217_532
    assert {p.name for p in folder.iterdir()} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)
    assert model.model.is_multilingual


def test_damaged_model_bin_is_a_clear_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(struct.pack("<I", 6) + b"\x05\x00Text\x00" + b"\x00" * 8)
    with pytest.raises(ModelError, match="not a Whisper model"):
        read_ct2(bad)
    bad.write_bytes(b"\x06\x00\x00\x00\xff")
    with pytest.raises(ModelError, match="not a readable CTranslate2 model"):
        read_ct2(bad)
