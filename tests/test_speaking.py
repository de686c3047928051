"""The standard voice through onnxruntime: real synthesis, checked by Whisper."""

import numpy as np
import pytest
import soundfile as sf

from sidekick.books import parse_book_text
from sidekick.errors import ModelError
from sidekick.speaking.base import utterances
from sidekick.speaking.registry import available_voices, load_voice
from tests.conftest import word_error_rate


@pytest.fixture(scope="module")
def voice():
    return load_voice("standard")


def test_speaks_sentence_by_sentence(voice):
    spoken = list(voice.speak("The fox ran home. Was it raining? Yes, it was!"))
    assert [s.text for s in spoken] == ["The fox ran home.", "Was it raining?", "Yes, it was!"]
    for s in spoken:
        assert s.sample_rate == 22050 and s.audio.dtype == np.float32
        assert 0.3 < len(s.audio) / s.sample_rate < 3.0
        assert np.abs(s.audio).max() > 0.05


def test_rate_changes_duration(voice):
    text = "Sidekick reads slowly when you ask it to."
    normal = next(voice.speak(text)).audio
    slow = next(voice.speak(text, rate=0.75)).audio
    assert len(slow) / len(normal) == pytest.approx(1 / 0.75, rel=0.12)


def test_unknown_voice_and_style_are_clear_errors(voice):
    with pytest.raises(ModelError, match="Unknown voice 'robot'"):
        load_voice("robot")
    with pytest.raises(ModelError, match="no style"):
        list(voice.speak("Hi.", style="storytelling"))
    assert "standard" in available_voices()


def test_the_voice_speaks_the_sentences_of_the_page():
    text = '"Run!" said Mia. Then she ran.\nMr. Fox waved.'
    page = parse_book_text(text, name="run.txt").pages[0]
    expected = ['"Run!" said Mia.', "Then she ran.", "Mr. Fox waved."]
    assert [s.text for s in page.sentences] == expected
    assert utterances(text) == expected


@pytest.mark.slow
def test_whisper_understands_the_standard_voice(voice, tmp_path, transcribe):
    text = (
        "Once upon a time, a little fox lived under a big green hill. "
        "Every morning she ran down to the river."
    )
    audio = np.concatenate([s.audio for s in voice.speak(text)])
    sf.write(tmp_path / "fox.wav", audio, voice.sample_rate)
    assert word_error_rate(text, transcribe(tmp_path / "fox.wav")) <= 0.15
