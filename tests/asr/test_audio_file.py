"""Audio files → float32 mono 16 kHz: rates, channels, formats, and clear answers for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from assistant.asr.audio_file import load_audio, probe, read_blocks, to_mono_16k
from assistant.errors import AudioFileError

RATE = 16_000


def speechlike(seconds: float = 2.0) -> np.ndarray:
    """A voiced, gliding tone with harmonics: enough spectral detail to check resampling."""
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 140 + 40 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 12))
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.parametrize("rate", [8_000, 22_050, 44_100, 48_000])
def test_any_rate_becomes_16k(tmp_path: Path, rate: int) -> None:
    x = speechlike()
    path = tmp_path / f"r{rate}.wav"
    sf.write(path, soxr.resample(x, RATE, rate), rate)
    y = load_audio(path)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - len(x)) <= 2
    # 8 kHz loses everything above 4 kHz: the tone has little energy there
    assert correlation(x, y) > (0.97 if rate == 8_000 else 0.995)


def test_stereo_is_averaged(tmp_path: Path) -> None:
    x = speechlike()
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([x, np.zeros_like(x)], axis=1), RATE)
    y = load_audio(path)
    assert np.allclose(y, x / 2, atol=1e-4)


def test_clipped_audio_is_accepted(tmp_path: Path) -> None:
    x = np.clip(speechlike() * 8, -1, 1)
    path = tmp_path / "clipped.wav"
    sf.write(path, x, RATE, subtype="PCM_16")
    y = load_audio(path)
    assert np.max(np.abs(y)) <= 1.0 and np.mean(np.abs(y) > 0.99) > 0.3


def test_float_samples_beyond_full_scale_are_limited(tmp_path: Path) -> None:
    path = tmp_path / "hot.wav"
    sf.write(path, speechlike() * 5, RATE, subtype="FLOAT")
    assert np.max(np.abs(load_audio(path))) == pytest.approx(1.0)


@pytest.mark.parametrize("suffix", [".ogg", ".mp3", ".flac"])
def test_compressed_formats(tmp_path: Path, suffix: str) -> None:
    x = speechlike()
    path = tmp_path / f"x{suffix}"
    sf.write(path, x, RATE)
    y = load_audio(path)
    assert abs(len(y) - len(x)) < 0.1 * RATE  # mp3 adds encoder delay/padding
    assert np.sqrt(np.mean(y**2)) == pytest.approx(np.sqrt(np.mean(x**2)), rel=0.2)


def test_container_formats_through_pyav(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    x = speechlike()
    path = tmp_path / "x.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    assert probe(path).decoder == "av"
    y = load_audio(path)
    assert abs(len(y) - len(x)) < 0.15 * RATE  # AAC priming and padding


def test_long_files_are_read_in_bounded_blocks(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", 44_100, 2, subtype="PCM_16") as fh:
        block = np.zeros((44_100 * 60, 2), dtype=np.float32)
        for _ in range(10):  # ten minutes of stereo 44.1 kHz
            fh.write(block)
    sizes = [len(b) for b in read_blocks(path, seconds=30.0)]
    assert max(sizes) <= 30 * RATE + 1024
    assert sum(sizes) == pytest.approx(600 * RATE, abs=64)


def test_nan_samples_are_refused(tmp_path: Path) -> None:
    x = speechlike()
    x[1000] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    with pytest.raises(AudioFileError, match="NaN or infinite"):
        load_audio(path)
    with pytest.raises(AudioFileError, match="NaN or infinite"):
        to_mono_16k(np.array([0.0, np.inf]), RATE)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.wav", b"", "is empty"),
        ("notes.wav", b"this is a shopping list, not a sound\n" * 50, "not an audio file"),
        ("half.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(40), "not an audio file"),
        ("pic.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "not an audio file|no audio track"),
    ],
)
def test_bad_files_give_one_clear_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioFileError, match=message) as caught:
        load_audio(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_zero_length_missing_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), RATE)
    with pytest.raises(AudioFileError, match="no audio samples"):
        load_audio(path)
    with pytest.raises(AudioFileError, match="no such file"):
        load_audio(tmp_path / "missing.wav")
    with pytest.raises(AudioFileError, match="is a folder"):
        load_audio(tmp_path)
