"""Audio sources and sinks with real files (and the real, absent, audio devices here)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio import (
    CHUNK_SECONDS,
    MicrophoneSource,
    SilentSink,
    SpeakerSink,
    WavDirSink,
    WavFileSource,
    float_to_pcm,
    pcm_to_float,
    probe_input,
    probe_output,
    resample,
)
from sidekick.errors import AudioDeviceError

CHUNK_BYTES = int(16_000 * CHUNK_SECONDS) * 2


def _sine(freq: float, seconds: float, rate: int, stereo: bool = False) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([tone, 0.5 * tone], axis=1) if stereo else tone


def _peak_hz(audio: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


def test_wav_source_resamples_stereo_22050_to_16k(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    sf.write(path, _sine(440, 1.23, 22_050, stereo=True), 22_050)
    source = WavFileSource(path, realtime=False)
    assert (source.source_rate, source.channels) == (22_050, 2)
    chunks = list(source.chunks())
    assert all(len(c) == CHUNK_BYTES for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= CHUNK_BYTES
    audio = pcm_to_float(b"".join(chunks))
    assert abs(len(audio) / 16_000 - 1.23) < 0.002  # duration preserved
    assert abs(_peak_hz(audio, 16_000) - 440) < 2  # pitch preserved: a real resample
    # Downmix is the mean of the channels: 0.5 and 0.25 amplitude -> 0.375.
    assert abs(np.abs(audio[2000:-2000]).max() - 0.375) < 0.01


def test_wav_source_realtime_pacing(tmp_path: Path) -> None:
    path = tmp_path / "short.wav"
    sf.write(path, _sine(300, 0.6, 22_050), 22_050)
    t0 = time.monotonic()
    n = len(list(WavFileSource(path, realtime=True).chunks()))
    elapsed = time.monotonic() - t0
    assert n == 6
    assert 0.5 <= elapsed < 1.0

    t0 = time.monotonic()
    list(WavFileSource(path, realtime=False).chunks())
    assert time.monotonic() - t0 < 0.3


def test_wav_source_close_stops_early(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, _sine(300, 5.0, 16_000), 16_000)
    source = WavFileSource(path, realtime=True)
    threading.Timer(0.25, source.close).start()
    t0 = time.monotonic()
    n = len(list(source.chunks()))
    assert time.monotonic() - t0 < 1.0
    assert n < 10


def test_wav_source_bad_files(tmp_path: Path) -> None:
    with pytest.raises(AudioDeviceError, match="not found"):
        WavFileSource(tmp_path / "missing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF this is not audio at all" * 10)
    with pytest.raises(AudioDeviceError) as info:
        WavFileSource(junk)
    assert "\n" not in str(info.value)


def test_pcm_helpers_round_trip() -> None:
    audio = _sine(200, 0.1, 16_000)
    back = pcm_to_float(float_to_pcm(audio))
    assert back.dtype == np.float32
    assert np.max(np.abs(back - audio)) < 1e-4
    assert len(resample(audio, 16_000, 22_050)) == pytest.approx(2205, abs=1)


def test_wav_dir_sink_numbers_files(tmp_path: Path) -> None:
    out = tmp_path / "voice"
    sink = WavDirSink(out)
    for seconds in (0.1, 0.2, 0.3):
        sink.play(_sine(220, seconds, 22_050), 22_050)
    assert sorted(p.name for p in out.iterdir()) == [
        "sidekick-001.wav",
        "sidekick-002.wav",
        "sidekick-003.wav",
    ]
    assert sink.last_path == out / "sidekick-003.wav"
    info = sf.info(sink.last_path)
    assert info.samplerate == 22_050 and info.frames == int(0.3 * 22_050)
    again = WavDirSink(out)  # a new run continues the numbering, overwriting nothing
    again.play(_sine(220, 0.1, 16_000), 16_000)
    assert again.last_path == out / "sidekick-004.wav"


def test_silent_sink_waits_and_stops() -> None:
    sink = SilentSink()
    t0 = time.monotonic()
    sink.play(np.zeros(3_200, dtype=np.float32), 16_000)
    assert 0.18 <= time.monotonic() - t0 < 0.5

    threading.Timer(0.1, sink.stop).start()
    t0 = time.monotonic()
    sink.play(np.zeros(16_000 * 10, dtype=np.float32), 16_000)
    assert time.monotonic() - t0 < 1.0


def test_streamed_pieces_play_as_one(tmp_path: Path) -> None:
    sink = WavDirSink(tmp_path)
    sink.play_stream((_sine(220, 0.1, 22_050) for _ in range(3)), 22_050)
    assert sink.paths == [tmp_path / "sidekick-001.wav"]
    assert sf.info(sink.last_path).frames == 3 * int(0.1 * 22_050)
    silent = SilentSink()
    threading.Timer(0.1, silent.stop).start()
    t0 = time.monotonic()
    silent.play_stream((np.zeros(16_000, dtype=np.float32) for _ in range(10)), 16_000)
    assert time.monotonic() - t0 < 1.0


def test_probes_never_raise() -> None:
    for reason in (probe_input(), probe_output(), probe_input("no such device 42")):
        assert reason is None or (isinstance(reason, str) and "\n" not in reason)


def test_microphone_missing_gives_one_line_error() -> None:
    if probe_input() is None:
        pytest.skip("this machine has a microphone")
    with pytest.raises(AudioDeviceError) as info:
        MicrophoneSource()
    message = str(info.value)
    assert message.startswith("No microphone found on this computer:")
    assert "Error" not in message and "-1" not in message  # no PortAudio jargon
    assert "--child-audio" in message and "\n" not in message


def test_speaker_missing_gives_one_line_error() -> None:
    if probe_output() is None:
        pytest.skip("this machine has a speaker")
    with pytest.raises(AudioDeviceError) as info:
        SpeakerSink()
    assert str(info.value).startswith("No speaker found on this computer:")
    assert "Error" not in str(info.value)
    assert "\n" not in str(info.value)
