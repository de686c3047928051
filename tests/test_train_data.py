"""Voice data: corpus validation, the teacher corpus, curation and its measurement.

Everything runs with the real models: the teacher voice (Piper ONNX), pocketsphinx and
Resemblyzer. Tests that need the ``train`` extra skip when it is not installed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from train.cli import main
from train.config import HOP, SAMPLE_RATE, CurationConfig, TeacherConfig, from_dict
from train.data import corpus

SR = SAMPLE_RATE


def _extra() -> None:
    """Skip unless the train extra (torch, resemblyzer, parselmouth, onnx) is installed."""
    pytest.importorskip("torch")
    pytest.importorskip("parselmouth")
    pytest.importorskip("onnx")
    from train.curation.embed import _import_resemblyzer

    try:
        _import_resemblyzer()
    except ImportError as exc:
        pytest.skip(f"resemblyzer is not installed: {exc}")


def _tone(seconds: float, level: float = 0.3, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (level * np.sin(2 * np.pi * 180 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )


# -- validation with hand-made broken corpora -------------------------------------------


@pytest.fixture
def broken_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    (root / "wavs").mkdir(parents=True)
    w = root / "wavs"
    sf.write(w / "good.wav", _tone(1.5), SR)
    sf.write(w / "rate16k.wav", _tone(1.5, sr=16_000), 16_000)
    sf.write(w / "stereo.wav", np.stack([_tone(1.0), _tone(1.0)], axis=1), SR)
    sf.write(w / "empty.wav", _tone(1.0), SR)
    sf.write(w / "clipped.wav", np.sign(_tone(1.0)).astype(np.float32), SR, subtype="PCM_16")
    sf.write(w / "short.wav", _tone(0.2), SR)
    sf.write(w / "long.wav", _tone(21.0, 0.1), SR)
    (w / "garbage.wav").write_bytes(b"RIFF not really a wave file")
    sf.write(w / "baddur.wav", _tone(1.0), SR)
    corpus.write_durations(root, "baddur", [1, 2, 3], np.array([1, 2, 3]))
    (root / "metadata.csv").write_text(
        "good|A good line.|neutral\n"
        "rate16k|Recorded at sixteen kilohertz.|storytelling\n"
        "stereo|Two channels.|neutral\n"
        "empty||neutral\n"
        "clipped|Far too loud.|neutral\n"
        "short|Hi.|neutral\n"
        "long|This one goes on and on.|neutral\n"
        "garbage|Not audio.|neutral\n"
        "missing|No file at all.|neutral\n"
        "baddur|Durations that do not add up.|neutral\n"
        "twofields|Only two fields\n"
        "ljspeech|Some text|Some normalized text\n"
        "good|A duplicate id.|neutral\n",
        encoding="utf-8",
    )
    return root


def test_validation_finds_every_problem(broken_corpus: Path) -> None:
    report = corpus.validate(broken_corpus)
    kinds = {(i.id, i.kind, i.error) for i in report.issues}
    assert ("rate16k", "resampled", False) in kinds
    assert ("stereo", "downmixed", False) in kinds
    assert ("empty", "empty_text", True) in kinds
    assert ("clipped", "clipping", True) in kinds
    assert ("short", "too_short", True) in kinds
    assert ("long", "too_long", True) in kinds
    assert ("garbage", "unreadable", True) in kinds
    assert ("missing", "missing_file", True) in kinds
    assert ("baddur", "bad_durations", False) in kinds
    bad_lines = [i for i in report.issues if i.kind == "bad_line"]
    assert {i.id for i in bad_lines} == {"metadata.csv:11", "metadata.csv:12", "metadata.csv:13"}
    assert any("LJSpeech" in i.message for i in bad_lines)
    assert {u.id for u in report.valid} == {"good", "rate16k", "stereo", "baddur"}
    summary = report.summary()
    assert "4 usable" in summary and "missing_file 1" in summary and "error: missing" in summary


def test_resampled_on_load(broken_corpus: Path) -> None:
    audio, notes = corpus.load_audio(broken_corpus / "wavs" / "rate16k.wav")
    assert abs(len(audio) - int(1.5 * SR)) <= 2
    assert notes == ["sample rate 16000 Hz, resampled to 22050 Hz"]
    audio, notes = corpus.load_audio(broken_corpus / "wavs" / "stereo.wav")
    assert audio.ndim == 1 and "mixed down" in notes[0]


def test_validate_cli_summary_and_json(
    broken_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "validation.json"
    assert main(["validate", str(broken_corpus), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "13 utterances" not in printed  # malformed lines are problems, not utterances
    assert "10 utterances, 4 usable" in printed
    data = json.loads(out.read_text())
    assert data["valid"] == 4 and data["issue_counts"]["clipping"] == 1


def test_missing_metadata_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "wavs").mkdir()
    assert main(["validate", str(tmp_path)]) == 2
    assert "metadata.csv is missing" in capsys.readouterr().err
    with pytest.raises(corpus.CorpusError, match="not a folder"):
        corpus.validate(tmp_path / "nope")


def test_settings_round_trip_and_refuse_unknown_keys() -> None:
    cfg = TeacherConfig(utterances=3, seed=4)
    assert from_dict(TeacherConfig, cfg.to_dict()) == cfg
    assert from_dict(CurationConfig, {"mad_k": 4}).mad_k == 4
    with pytest.raises(ValueError, match=r"unknown setting 'story\.rat'"):
        from_dict(TeacherConfig, {"story": {"rat": [0.8, 0.9]}})
    with pytest.raises(ValueError, match="unknown setting 'madk'"):
        from_dict(CurationConfig, {"madk": 4})


def test_nothing_usable(tmp_path: Path) -> None:
    (tmp_path / "wavs").mkdir()
    (tmp_path / "metadata.csv").write_text("a|Missing audio.|neutral\n", encoding="utf-8")
    report = corpus.validate(tmp_path)
    with pytest.raises(corpus.CorpusError, match="No usable utterance"):
        corpus.require_usable(report)


# -- text -------------------------------------------------------------------------------


def test_sentences_are_distinct_varied_and_reproducible() -> None:
    from train.data.text import generate_sentences, generate_utterances

    sentences = generate_sentences(3000, seed=4)
    texts = [t for _, t in sentences]
    assert len(set(texts)) == 3000
    assert generate_sentences(50, seed=4) == sentences[:50]
    kinds = {k for k, _ in sentences}
    assert {"dialogue", "question", "exclamation", "list", "sound_words"} <= kinds
    assert sum('"' in t for t in texts) > 300  # dialogue
    assert sum(t.endswith("?") for t in texts) > 200
    assert sum(t.endswith("!") for t in texts) > 200
    assert sum(t.count(",") >= 2 for t in texts) > 200  # lists, sound words
    utterances = generate_utterances(500, seed=4)
    assert len({t for _, t in utterances}) == 500


def test_phoneme_coverage_of_3000_sentences() -> None:
    from train.data.teacher import Teacher
    from train.data.text import coverage, generate_utterances

    pytest.importorskip("onnx")
    teacher = Teacher()
    phonemes = [sum(teacher.phonemize(t), []) for _, t in generate_utterances(3000, seed=1)]
    cover = coverage(phonemes)
    assert cover["all_phonemes_at_least_50"], cover["min_phoneme"]
    assert cover["diphones_seen"] > 800


# -- teacher ----------------------------------------------------------------------------


def test_teacher_durations_are_exact_and_controllable() -> None:
    pytest.importorskip("onnx")
    from train.data.teacher import Teacher

    teacher = Teacher()
    ids = teacher.phoneme_ids(teacher.phonemize("The little fox ran to the pond, and hid."))
    plain = teacher.synthesize(ids)
    assert int(plain.durations.sum()) * HOP == len(plain.audio)
    slow = teacher.synthesize(ids, np.full(len(ids), 1.5, np.float32))
    assert int(slow.durations.sum()) * HOP == len(slow.audio)
    assert len(slow.audio) > 1.3 * len(plain.audio)
    capped = teacher.synthesize(ids, np.full(len(ids), 3, np.float32), np.full(len(ids), 2.0))
    assert capped.durations.max() <= 2


def test_storytelling_is_slower_and_livelier() -> None:
    _extra()
    from train.data.teacher import Teacher
    from train.data.teacher_corpus import Plan, render
    from train.prosody import pitch_stats

    teacher, cfg = Teacher(), TeacherConfig()
    texts = [
        "One morning, the sleepy bear wandered to the river.",
        '"Where are you going?" asked the little owl.',
        "Mia packed a kite, a blanket, a map and a shiny red ball.",
    ]
    ratio_len, ratio_range = [], []
    for i, text in enumerate(texts):
        n = render(teacher, Plan("n", text, "x", "neutral", "", i), cfg)
        s = render(teacher, Plan("s", text, "x", "storytelling", "", i), cfg)
        for r in (n, s):
            assert int(r.durations.sum()) * HOP == len(r.audio)
        ratio_len.append(len(s.audio) / len(n.audio))
        ratio_range.append(
            pitch_stats(s.audio, SR)["range_st"] / pitch_stats(n.audio, SR)["range_st"]
        )
    assert 1.08 < np.mean(ratio_len) < 1.5  # rate 0.75-0.9 plus longer pauses
    assert np.mean(ratio_range) > 1.15


# -- the small generated corpus ---------------------------------------------------------


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _extra()
    from train.data.teacher_corpus import build

    root = tmp_path_factory.mktemp("voice") / "teacher"
    build(root, TeacherConfig(utterances=20, defects=0.3, seed=3, workers=2), progress=False)
    return root


@pytest.mark.slow
def test_teacher_corpus_layout(small_corpus: Path) -> None:
    report = corpus.validate(small_corpus)
    assert len(report.utterances) == 20 and not report.issues
    assert {u.style for u in report.utterances} == {"neutral", "storytelling"}
    for u in report.utterances:
        ids, durations = corpus.read_durations(small_corpus, u.id)
        info = sf.info(str(corpus.wav_path(small_corpus, u.id)))
        assert info.samplerate == SR and info.channels == 1
        assert int(durations.sum()) * HOP == info.frames and len(ids) == len(durations)
    summary = json.loads((small_corpus / "teacher.json").read_text())
    assert summary["distinct_texts"] == 20
    assert set(json.loads((small_corpus / "coverage.json").read_text())["phonemes"]) >= {"ʒ", "θ"}


@pytest.mark.slow
def test_defects_are_listed_where_they_are(small_corpus: Path) -> None:
    defects = json.loads((small_corpus / "defects.json").read_text())
    assert len(defects["prosodic_outlier"]) == 3 and len(defects["dead_air"]) == 3
    assert not set(defects["prosodic_outlier"]) & set(defects["dead_air"])
    for uid, intervals in defects["dead_air"].items():
        audio, _ = corpus.load_audio(corpus.wav_path(small_corpus, uid))
        for start, end in intervals:
            assert 0.8 - 0.02 <= end - start <= 3.0 + 0.02
            inside = audio[int(start * SR) + 10 : int(end * SR) - 10]
            assert np.sqrt(np.mean(inside**2)) < 1e-3  # dead air: near silence


@pytest.mark.slow
def test_teacher_corpus_resumes_and_refuses_other_settings(small_corpus: Path) -> None:
    from train.data.teacher_corpus import build

    again = build(small_corpus, TeacherConfig(utterances=20, defects=0.3, seed=3), progress=False)
    assert again["this_run"]["made"] == 0
    with pytest.raises(corpus.CorpusError, match="other settings"):
        build(small_corpus, TeacherConfig(utterances=20, defects=0.3, seed=4), progress=False)


def test_cut_durations_keeps_the_sum() -> None:
    from train.curation.trim import apply_cuts, cut_durations, cut_frames

    durations = np.array([3, 2, 10, 4, 6])
    audio = np.ones(int(durations.sum()) * HOP, np.float32)
    frames = cut_frames([[0.0, 0.05], [0.2, 0.3]], len(audio))
    out = apply_cuts(audio, frames)
    new = cut_durations(durations, frames)
    assert int(new.sum()) * HOP == len(out) and (new >= 0).all()
    assert new[0] == 0 and new[4] < durations[4] and new[2] == durations[2]


@pytest.fixture(scope="session")
def curated(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small corpus plus one unalignable and one invalid utterance, curated."""
    from train.curation.curate import curate

    src = tmp_path_factory.mktemp("voice") / "with-extras"
    shutil.copytree(small_corpus, src)
    rng = np.random.default_rng(0)
    sf.write(src / "wavs" / "noise.wav", (0.05 * rng.standard_normal(3 * SR)).astype("f4"), SR)
    with open(src / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("noise|The elephant ate seven enormous spaghetti sandwiches.|neutral\n")
        f.write("lost|This recording went missing.|neutral\n")
    out = src.parent / "curated"
    curate(src, out, CurationConfig(workers=2), progress=False)
    return src, out


@pytest.mark.slow
def test_curation_outputs(curated: tuple[Path, Path]) -> None:
    src, out = curated
    report = json.loads((out / "report.json").read_text())
    assert set(report["discarded"]) == {"embedding_outlier", "unalignable", "invalid"}
    assert "noise" in report["discarded"]["unalignable"]
    assert report["discarded"]["invalid"] == ["lost"]
    kept = corpus.validate(out)
    assert not kept.issues  # 22,050 Hz audio with durations that still add up
    assert len(kept.utterances) == report["summary"]["kept"] >= 12
    assert all((corpus.durations_path(out, u.id)).is_file() for u in kept.utterances)
    defects = json.loads((src / "defects.json").read_text())
    for uid in defects["dead_air"]:
        if uid in report["trimmed_s"]:
            assert report["trimmed_s"][uid] > 0.7
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and "median + k·MAD" in page
    assert report["summary"]["max_pause_after_energy_s"] <= 0.5


@pytest.mark.slow
def test_curation_resumes(curated: tuple[Path, Path]) -> None:
    from train.curation.curate import curate

    src, out = curated
    before = json.loads((out / "report.json").read_text())
    again = curate(src, out, CurationConfig(workers=1), progress=False)
    assert again["discarded"] == before["discarded"]
    assert again["summary"]["seconds"] < before["summary"]["seconds"]


@pytest.mark.slow
def test_measure_curation(curated: tuple[Path, Path], capsys: pytest.CaptureFixture) -> None:
    src, out = curated
    code = main(["measure-curation", str(src), str(out)])
    result = json.loads(capsys.readouterr().out)
    assert code == (0 if result["passed"] else 1)
    assert result["outliers_injected"] == 3 and result["dead_air_utterances"] == 3
    assert result["dead_air_removed"] >= 0.9
    assert result["max_inner_pause_s"] <= 0.5
    assert "measured" in json.loads((out / "report.json").read_text())


def test_curate_refuses_its_own_folder(tmp_path: Path) -> None:
    from train.curation.curate import curate

    with pytest.raises(corpus.CorpusError, match="another folder"):
        curate(tmp_path, tmp_path, CurationConfig())


def test_random_reproducible_plan() -> None:
    from train.data.teacher_corpus import make_plan

    cfg = TeacherConfig(utterances=40, defects=0.15, seed=9)
    a, b = make_plan(cfg), make_plan(cfg)
    assert a == b
    assert sum(p.defect != "" for p in a) == 6
    assert {p.defect for p in a} == {"", "prosodic_outlier", "dead_air"}
