"""The voice-family evaluation: its declared split, its per-family scoring and its conditions."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.benchmarks.reading_eval import conditions, families
from tests.benchmarks.reading_eval import generate as gen
from tests.benchmarks.reading_eval.score import score, table
from tests.helpers.reading_eval import perfect_prediction, truth_record


def test_every_family_is_in_exactly_one_split():
    dev, verdict = set(families.DEV), set(families.VERDICT)
    assert not dev & verdict
    assert dev | verdict == set(families.FAMILIES)
    assert len(families.DEV) == len(dev) and len(families.VERDICT) == len(verdict)
    assert "piper-joe" in verdict  # the standard voice is judged, not tuned on
    names = [v.name for vs in families.FAMILIES.values() for v in vs]
    assert len(names) == len(set(names)) == len(families.VOICES)
    for fam in families.FAMILIES:
        assert families.split_of(fam) in ("dev", "verdict")
    with pytest.raises(KeyError):
        families.split_of("no-such-family")


def test_a_speaker_of_two_synthesizers_is_in_one_split():
    # flite's kal16/slt and festival's kal/slt are recordings of the same two speakers.
    assert families.split_of("flite") == families.split_of("festival")


#: dev: flite, espeak-england; verdict: piper-joe, l2-french. 10 words per clip.
FAM_TRUTH = [
    truth_record("f_a", ["correct"] * 9 + ["substituted"], "adult", "flite"),
    truth_record("f_c", ["correct"] * 8 + ["omitted", "assisted"], "child", "flite"),
    truth_record("e_a", ["correct"] * 10, "adult", "espeak-england", wcpm=100.0, clean=True),
    truth_record("e_c", ["correct"] * 9 + ["substituted"], "child", "espeak-england"),
    truth_record("j_a", ["correct"] * 8 + ["omitted", "substituted"], "adult", "piper-joe"),
    truth_record("j_c", ["correct"] * 10, "child", "piper-joe", wcpm=90.0, clean=True),
    truth_record("l_a", ["correct"] * 10, "adult", "l2-french", wcpm=110.0, clean=True),
    truth_record("l_c", ["correct"] * 9 + ["substituted"], "child", "l2-french"),
]


def _preds() -> dict:
    return {t["clip"]: perfect_prediction(t) for t in FAM_TRUTH}


def test_a_perfect_prediction_meets_every_family_target():
    result = score(FAM_TRUTH, _preds())
    summary = result["by_family"]
    assert set(summary["families"]) == {"flite", "espeak-england", "piper-joe", "l2-french"}
    assert all(r["ok"] for r in summary["families"].values())
    assert summary["splits"]["verdict"]["adult"]["recall"] == 1.0
    assert result["targets"] == {}  # the classic groups' targets are not the families'
    assert "family:flite/adult" in result["groups"] and "split:dev/child" in result["groups"]
    assert "adult/flite" not in result["groups"]
    assert result["groups"]["adult/plain"]["clips"] == 4  # no noise, room or channel
    text = table(result)
    assert "worst verdict family" in text and "l2-french" in text and "MISS" not in text


def test_family_figures_and_the_worst_family():
    preds = _preds()
    # espeak-england, child: 2 of 9 correct words rejected (22% > 5%).
    preds["e_c"]["words"][0]["status"] = "substituted"
    preds["e_c"]["words"][1]["status"] = "omitted"
    # flite, adult: 1 of 9 rejected (11.1% > 3%); the worst dev family is still espeak's
    # (22.2 / 5 = 4.4 against 11.1 / 3 = 3.7).
    preds["f_a"]["words"][0]["status"] = "omitted"
    # piper-joe adult: the omission missed; l2-french child: the substitution missed.
    preds["j_a"]["words"][8]["status"] = "correct"
    preds["l_c"]["words"][9]["status"] = "correct"
    # l2-french adult: WCPM 10% off on a clean reading.
    preds["l_a"]["summary"]["wcpm"] = 121.0
    s = score(FAM_TRUTH, preds)["by_family"]
    fams = s["families"]
    assert fams["espeak-england"]["child"]["frr"] == pytest.approx(2 / 9, abs=1e-4)
    assert fams["espeak-england"]["adult"]["frr"] == 0.0
    assert fams["flite"]["adult"]["frr"] == pytest.approx(1 / 9, abs=1e-4)
    assert not fams["flite"]["adult"]["frr_ok"] and fams["flite"]["child"]["frr_ok"]
    assert s["worst"]["dev"] == "espeak-england"
    assert fams["piper-joe"]["adult"]["recall"] == 0.5
    assert fams["l2-french"]["wcpm_clean_mean_pct"] == 10.0 and not fams["l2-french"]["ok"]
    assert fams["piper-joe"]["ok"]  # a missed miscue is a recall figure, not a family target
    verdict = s["splits"]["verdict"]
    assert verdict["adult"]["recall"] == 0.5 and not verdict["adult"]["recall_ok"]
    assert verdict["child"]["recall"] == 0.0 and not verdict["child"]["recall_ok"]
    dev = s["splits"]["dev"]
    assert dev["child"]["recall"] == 1.0 and dev["child"]["frr"] == pytest.approx(2 / 17, 1e-3)


def test_unclear_is_neither_a_false_rejection_nor_a_found_miscue():
    preds = _preds()
    preds["f_a"]["words"][0]["status"] = "unclear"  # a correct word: not rejected
    preds["f_a"]["words"][9]["status"] = "unclear"  # the substitution: not found
    result = score(FAM_TRUTH, preds)
    g = result["groups"]["family:flite/adult"]
    assert g["false_rejection_rate"] == 0.0 and g["miscue_recall"] == 0.0
    assert g["unclear_on_correct"] == 1 and g["unclear_on_error"] == 1
    assert g["unclear_rate"] == pytest.approx(0.2)
    assert "words marked unclear" in table(result)


# ---------------------------------------------------------------- conditions


def _tone_burst() -> np.ndarray:
    x = np.zeros(16000)
    t = np.arange(8000) / conditions.SR
    x[4000:12000] = 0.3 * (np.sin(2 * np.pi * 200 * t) + np.sin(2 * np.pi * 5000 * t))
    return x


def _band_power(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / conditions.SR)
    return float(spec[(f >= lo) & (f < hi)].sum())


def test_channels_band_limit_without_moving_the_speech():
    x = _tone_burst()
    for channel in conditions.CHANNELS:
        y = conditions.apply_room_and_channel(x, conditions.Wide(channel=channel), None)
        assert len(y) == len(x)
        onset = int(np.argmax(np.abs(y) > 0.05))
        assert abs(onset - 4000) < 80, channel  # within 5 ms
    tel = conditions.apply_room_and_channel(x, conditions.Wide(channel="telephone"), None)
    assert _band_power(tel, 4000, 8000) < 1e-3 * _band_power(x, 4000, 8000)  # 8 kHz sampling
    assert _band_power(tel, 150, 250) < 0.1 * _band_power(x, 150, 250)  # 300 Hz high-pass


def test_a_room_adds_a_tail_and_keeps_the_onset():
    x = _tone_burst()
    rng = np.random.default_rng(1)
    y = conditions.apply_room_and_channel(x, conditions.Wide(room_rt60_s=0.5), rng)
    assert np.allclose(y[:4000], 0.0) and abs(y[4000] - x[4000]) < 1e-6
    assert np.sqrt(np.mean(y[12000:13000] ** 2)) > 0.01  # reverberation after the burst


@pytest.mark.parametrize("kind", ["speech_shaped", "fan", "hum"])
def test_new_noises_are_mixed_at_the_requested_snr(kind: str):
    rng = np.random.default_rng(0)
    x = _tone_burst().astype(np.float32)
    active = x != 0
    y = gen.mix_noise(x, active, kind, 10.0, rng, None)
    snr = 10 * np.log10(np.mean(x[active] ** 2) / np.mean((y - x) ** 2))
    assert snr == pytest.approx(10.0, abs=0.1)


def test_wide_conditions_cover_their_ranges():
    draws = [conditions.draw_wide(np.random.default_rng(k), child=k % 2 == 1) for k in range(400)]
    child = [c for c, _ in draws if c["condition"] == "child"]
    pitches = [c["pitch_semitones"] for c in child]
    assert min(pitches) < 3.5 and max(pitches) > 8.0
    assert min(c["tempo"] for c in child) < 0.7 and max(c["tempo"] for c in child) > 0.95
    assert {c.get("noise") for c, _ in draws} >= set(conditions.NOISES)
    assert {w.channel for _, w in draws} >= set(conditions.CHANNELS)
    assert sum(bool(w.room_rt60_s) for _, w in draws) > 50
    assert sum(not (c.get("noise") or w.channel or w.room_rt60_s) for c, w in draws) > 50


# ---------------------------------------------------------------- real voices


@pytest.mark.slow
def test_family_clips_have_words_where_the_truth_says(tmp_path):
    """Two espeak-ng / MBROLA readers through the generator: the truth's word times fall on
    speech. Skipped where the voices are not installed (sidekick setup --for-tests)."""
    pytest.importorskip("parselmouth")
    try:
        gen.make_backend("mb-us1")
    except SystemExit as e:
        pytest.skip(str(e))
    records = gen.generate(tmp_path, clips=2, seed=5, family_names=["mbrola-us",
                           "espeak-england"], clean_share=1.0, log=False)  # fmt: skip
    assert [r["family"] for r in records] == ["mbrola-us", "espeak-england"]
    assert [r["condition"] for r in records] == ["adult", "adult"]
    for r in records:
        audio, sr = sf.read(tmp_path / "clips" / f"{r['clip']}.wav")
        for w in r["words"]:
            seg = audio[int(w["start"] * sr) : int(w["end"] * sr)]
            assert w["end"] > w["start"] and np.sqrt(np.mean(seg**2)) > 0.005, (r["clip"], w)
        assert r["wcpm_true"] > 60
