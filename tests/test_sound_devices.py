"""Sidekick through a real sound system: PortAudio's ``pulse`` devices on a private
PulseAudio server whose null sinks are the microphone and the speaker (tests/virtual_sound.py).
The child's reading is played into the microphone in real time with ``paplay``; what Sidekick
says is recorded from the speaker with ``parec``."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from sidekick.audio.base import SAMPLE_RATE
from sidekick.audio.sources import MicrophoneSource


def _record(source: MicrophoneSource, seconds: float) -> np.ndarray:
    """``seconds`` of 16 kHz int16 PCM from the source."""
    pcm = bytearray()
    for chunk in source.chunks():
        pcm += chunk
        if len(pcm) >= seconds * SAMPLE_RATE * 2:
            source.close()
    return np.frombuffer(bytes(pcm), dtype=np.int16)


def _peak_hz(audio: np.ndarray, rate: int, lo: float, hi: float) -> tuple[float, float]:
    """The strongest frequency between lo and hi Hz, and its amplitude."""
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) / (len(audio) / 4)
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    band = (freqs >= lo) & (freqs <= hi)
    i = np.argmax(np.where(band, spectrum, 0))
    return float(freqs[i]), float(spectrum[i])


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_stereo_microphone_at_its_own_rate_is_downmixed_and_resampled(
    sound_devices, tmp_path, rate
) -> None:
    """A 44.1/48 kHz stereo microphone: 440 Hz on the left and 1,000 Hz on the right come out
    as 16 kHz mono with both tones at half strength, at the right pitch (so at the right
    rate), and nothing above 8 kHz folded back into the speech band."""
    t = np.arange(int(rate * 3.0)) / rate
    stereo = np.stack([0.6 * np.sin(2 * np.pi * 440 * t), 0.6 * np.sin(2 * np.pi * 1000 * t)], 1)
    stereo[:, 0] += 0.3 * np.sin(2 * np.pi * 11_000 * t)  # must be filtered out, not aliased
    wav = tmp_path / "stereo.wav"
    sf.write(wav, stereo.astype(np.float32), rate)
    mic = MicrophoneSource(samplerate=rate, channels=2)
    assert (mic.device_rate, mic.channels) == (rate, 2)
    player = sound_devices.play_into_mic(wav)
    audio = _record(mic, 3.5).astype(np.float32) / 32768
    player.wait(timeout=10)
    loud = np.flatnonzero(np.abs(audio) > 0.1)
    assert len(loud) and loud[-1] - loud[0] > 2.5 * SAMPLE_RATE, "the tone did not come through"
    steady = audio[loud[0] + 1600 : loud[0] + 1600 + 2 * SAMPLE_RATE]  # 2 s inside the tone
    for hz in (440, 1000):
        found, amplitude = _peak_hz(steady, SAMPLE_RATE, hz - 100, hz + 100)
        assert abs(found - hz) <= 1.0
        assert amplitude == pytest.approx(0.3, rel=0.15)  # the channels are averaged
    # 11 kHz would alias to 16 - 11 = 5 kHz: nothing there.
    _, alias = _peak_hz(steady, SAMPLE_RATE, 4500, 5500)
    assert alias < 0.003
