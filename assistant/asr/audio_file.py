"""Audio files in, float32 mono 16 kHz blocks out (what Whisper takes).

wav/flac/ogg/mp3 … are read with soundfile (libsndfile); anything else (m4a, opus in webm, video
files …) with PyAV, which bundles the ffmpeg libraries (it comes with faster-whisper). Any sample
rate is resampled with soxr, channels are averaged. Files are read block by block, so a 2-hour
recording never sits in memory at its source rate. Every failure is an ``AudioFileError`` with a
one-line reason: missing, empty, not audio, damaged, NaN/inf samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.asr.base import SAMPLE_RATE
from assistant.errors import AudioFileError


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    sample_rate: int
    channels: int
    seconds: float | None  # None when the container does not say
    decoder: str  # "soundfile" or "av"


def to_mono_16k(samples: np.ndarray, rate: int, where: str = "audio") -> np.ndarray:
    """Average the channels of ``samples`` (frames × channels or 1-D), resample to 16 kHz."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1, dtype=np.float32)
    _check_finite(x, where)
    if rate != SAMPLE_RATE and x.size:
        import soxr

        x = np.asarray(soxr.resample(x, rate, SAMPLE_RATE, quality="HQ"), dtype=np.float32)
    return np.clip(x, -1.0, 1.0)


def _check_finite(x: np.ndarray, where: str) -> None:
    if not np.isfinite(x).all():
        raise AudioFileError(
            f"{where} contains NaN or infinite samples (a damaged float file); "
            "nothing was transcribed."
        )


def probe(path: str | Path) -> AudioInfo:
    """What the file is; ``AudioFileError`` when it cannot be read as audio."""
    path = Path(path).expanduser()
    if not path.exists():
        raise AudioFileError(f"{path}: no such file.")
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path} is empty (0 bytes).")
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return _probe_av(path)
    if info.frames <= 0:
        raise AudioFileError(f"{path} holds no audio samples (0 length).")
    return AudioInfo(path, int(info.samplerate), int(info.channels), info.duration, "soundfile")


def _probe_av(path: Path) -> AudioInfo:
    av = _import_av(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioFileError(f"{path} has no audio track.")
            stream = container.streams.audio[0]
            seconds = float(container.duration) / 1_000_000 if container.duration else None
            return AudioInfo(path, int(stream.rate or 0), int(stream.channels or 0), seconds, "av")
    except av.FFmpegError as err:
        raise AudioFileError(
            f"{path} is not an audio file that can be read, or it is damaged ({_reason(err)})."
        ) from None


def _import_av(path: Path) -> Any:
    try:
        import av
    except ImportError:
        raise AudioFileError(
            f"{path} is not in a format libsndfile reads (wav, flac, ogg, mp3); to read other "
            "formats install PyAV (`pip install av`, it bundles ffmpeg) or convert the file with "
            "ffmpeg first."
        ) from None
    return av


def _reason(err: Exception) -> str:
    return str(getattr(err, "strerror", None) or err).strip().rstrip(".")


def read_blocks(path: str | Path, seconds: float = 30.0) -> Iterator[np.ndarray]:
    """The file as float32 mono 16 kHz blocks of about ``seconds`` each."""
    info = probe(path)
    blocks = (
        _soundfile_blocks(info, seconds)
        if info.decoder == "soundfile"
        else _av_blocks(info, seconds)
    )
    produced = 0
    for block in blocks:
        produced += block.size
        if block.size:
            yield block
    if produced == 0:
        raise AudioFileError(f"{info.path} holds no audio samples (0 length).")


def load_audio(path: str | Path) -> np.ndarray:
    """The whole file as float32 mono 16 kHz (use ``read_blocks`` for long recordings)."""
    return np.concatenate(list(read_blocks(path, seconds=60.0)))


def _soundfile_blocks(info: AudioInfo, seconds: float) -> Iterator[np.ndarray]:
    import soundfile as sf
    import soxr

    frames = max(1, int(seconds * info.sample_rate))
    resampler = (
        soxr.ResampleStream(info.sample_rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
        if info.sample_rate != SAMPLE_RATE
        else None
    )
    done = 0.0
    try:
        with sf.SoundFile(str(info.path)) as fh:
            while True:
                data = fh.read(frames, dtype="float32", always_2d=True)
                last = len(data) < frames
                mono = data.mean(axis=1, dtype=np.float32)
                _check_finite(mono, f"{info.path} (near {done:.1f} s)")
                done += len(data) / info.sample_rate
                if resampler is not None:
                    mono = resampler.resample_chunk(mono, last=last)
                yield np.clip(mono, -1.0, 1.0)
                if last:
                    return
    except sf.LibsndfileError as err:
        raise AudioFileError(f"{info.path} is damaged ({_reason(err)}).") from None


def _av_blocks(info: AudioInfo, seconds: float) -> Iterator[np.ndarray]:
    av = _import_av(info.path)
    want = int(seconds * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    size = 0
    try:
        with av.open(str(info.path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1))
                    size += pending[-1].size
                if size >= want:
                    yield _finish(np.concatenate(pending), info.path)
                    pending, size = [], 0
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as err:
        raise AudioFileError(f"{info.path} is damaged or not audio ({_reason(err)}).") from None
    if pending:
        yield _finish(np.concatenate(pending), info.path)


def _finish(block: np.ndarray, path: Path) -> np.ndarray:
    block = block.astype(np.float32, copy=False)
    _check_finite(block, str(path))
    return np.clip(block, -1.0, 1.0)
