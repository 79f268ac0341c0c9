"""ONNX backend helpers that need no model: prefix matching, sampling options, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.llm.base import GenerationOptions
from assistant.llm.onnx_backend import OnnxLanguageModel, common_prefix, search_options


def test_missing_export_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="assistant export-onnx"):
        OnnxLanguageModel(tmp_path).load()


@pytest.mark.parametrize("a,b,n", [([1, 2, 3], [1, 2, 4], 2), ([], [1], 0), ([5], [5, 6], 1)])
def test_common_prefix(a: list[int], b: list[int], n: int) -> None:
    assert common_prefix(a, b) == n


def test_search_options_map_sampling_settings() -> None:
    greedy = search_options(GenerationOptions(temperature=0.0, repetition_penalty=1.3), 512, 99)
    assert greedy == {"max_length": 512, "repetition_penalty": 1.3, "do_sample": False}
    sampled = search_options(GenerationOptions(temperature=0.7, top_k=0, top_p=0.8), 512, 99)
    assert sampled["do_sample"] and sampled["top_k"] == 99 and sampled["top_p"] == 0.8
    assert sampled["temperature"] == 0.7
