"""The reading-check evaluation set: its generator's ground truth and its scorer."""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pytest
import soundfile as sf

from tests.benchmarks.reading_eval import generate as gen
from tests.benchmarks.reading_eval.passages import INSERTIONS, MISREADINGS, PASSAGES
from tests.benchmarks.reading_eval.score import pooled_truth, score, table
from tests.helpers.reading_eval import TRUTH, perfect_prediction, truth_record

# ---------------------------------------------------------------- passages and scripts


def test_passages_are_short_original_and_in_the_dictionary():
    lex = gen.cmudict()
    assert len(PASSAGES) >= 30
    for text in PASSAGES:
        words = [w for w, _ in gen.written_words(text)]
        assert 10 <= len(words) <= 30, text
        assert all(w.lower() in lex for w in words), text
    for word, alts in MISREADINGS.items():
        assert alts and gen.misreadings(word) == list(alts), word  # real words, no homophones
    assert all(w in lex for w in INSERTIONS)


def _spoken_of(script: gen.Script, role: str) -> list[gen.Spoken]:
    return [x for x in script.items if isinstance(x, gen.Spoken) and x.role == role]


@pytest.mark.parametrize("seed", range(40))
def test_scripts_say_what_the_truth_says(seed: int):
    rng = np.random.default_rng(seed)
    text = PASSAGES[seed % len(PASSAGES)]
    s = gen.make_script(text, rng, 3)
    n = len(s.words)
    assert 1 <= len(s.events) <= 3
    finals = {
        x.index: x for x in s.items if isinstance(x, gen.Spoken) and x.role in ("word", "sub")
    }
    for i, st in enumerate(s.status):
        assert st in gen.STATUSES
        if st in ("omitted", "assisted"):
            assert i not in finals
        else:
            assert finals[i].word == (s.heard[i] if st == "substituted" else s.words[i])
        if st in ("substituted", "self_corrected"):
            assert gen._key(s.heard[i]) != gen._key(s.words[i])
    assert "assisted" not in (s.status[0], s.status[-1])
    # Spoken "word" tokens read the text in order (repetitions are earlier copies).
    order = [x.index for x in _spoken_of(s, "word") + _spoken_of(s, "sub")]
    assert sorted(order) == sorted(set(order)) and len(order) <= n
    for ev in s.events:
        if ev["kind"] == "hesitation":
            k = s.items.index(next(x for x in s.items if isinstance(x, gen.Pause)
                                   and x.kind == "hesitation"))  # fmt: skip
            assert s.items[k].seconds > 3.0
    assert not isinstance(s.items[0], gen.Pause) and not isinstance(s.items[-1], gen.Pause)


def test_joined_words_are_split_at_the_phone_where_the_next_word_begins():
    # espeak-ng says "on the" as one group: "ɔnðə", with no space between the words.
    phones = [("^", 0.0, 0.05), ("ˈ", 0.05, 0.1), ("ɔ", 0.1, 0.2), ("n", 0.2, 0.3),
              ("ð", 0.3, 0.35), ("ə", 0.35, 0.45), (" ", 0.45, 0.5), ("m", 0.5, 0.6),
              ("ˈ", 0.6, 0.65), ("æ", 0.65, 0.8), ("t", 0.8, 0.9), (".", 0.9, 1.0)]  # fmt: skip
    spans = gen.token_spans(phones, [("ɔ", "n"), ("ð", "ə"), ("m", "æ", "t")])
    assert spans == [(0.05, 0.3), (0.3, 0.45), (0.45, 0.9)]


def test_a_word_said_together_with_its_repeat_shares_its_time():
    # A repeated "a" said as one sound: the alignment gives the second "a" nothing of its
    # own, so the two share the sound's time instead of the generator failing.
    phones = [("s", 0.0, 0.1), ("ɔ", 0.1, 0.3), (" ", 0.3, 0.35), ("ə", 0.35, 0.55),
              (" ", 0.55, 0.6), ("k", 0.6, 0.7), ("æ", 0.7, 0.8), ("t", 0.8, 0.9)]  # fmt: skip
    spans = gen.token_spans(phones, [("s", "ɔ"), ("ə",), ("ə",), ("k", "æ", "t")])
    assert spans[0] == (0.0, 0.3) and spans[3] == (0.55, 0.9)  # a space is the next onset
    assert spans[1] == pytest.approx((0.3, 0.425)) and spans[2] == pytest.approx((0.425, 0.55))


# ---------------------------------------------------------------- a small generated set


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    pytest.importorskip("parselmouth")
    out = tmp_path_factory.mktemp("reading_eval")
    # Seed 12 draws standard adult, held-out child, standard child and a noisy held-out
    # child clip. ``kal`` is a flite voice the benchmark itself does not use.
    records = gen.generate(out, clips=4, seed=12, voices=["joe", "kal"], clean_share=0.0,
                           log=False)  # fmt: skip
    return out, records


def test_a_reader_reads_consecutive_pages(tmp_path, small_set):
    """With pages per reader, consecutive clips share the voice and the condition and
    each has its own passage; without, every clip is its own reader."""
    _, single = small_set
    assert len({r["reader"] for r in single}) == len(single)
    records = gen.generate(tmp_path, clips=4, seed=12, voices=["joe", "kal"], log=False,
                           pages_per_reader=2)  # fmt: skip
    same = ("reader", "voice", "condition", "rate", "pitch_semitones", "tempo", "noise")
    for first, second in (records[:2], records[2:]):
        assert [first[k] for k in same] == [second[k] for k in same]
        assert first["text"] != second["text"]
    assert records[0]["reader"] != records[2]["reader"]


def test_generated_truth_is_consistent_with_the_audio(small_set):
    out, records = small_set
    assert (out / "truth.jsonl").exists() and gen.load_truth(out) == records
    assert {r["condition"] for r in records} == {"adult", "child"}
    if shutil.which("flite"):
        assert {r["family"] for r in records} == {"standard", "held_out"}
    assert any(r["noise"] for r in records)
    for r in records:
        audio, sr = sf.read(out / "clips" / f"{r['clip']}.wav")
        assert sr == gen.SR and audio.ndim == 1
        assert abs(len(audio) / sr - r["audio_s"]) < 0.01
        from sidekick.books.parse import parse_book_text

        page_words = [w.text for p in parse_book_text(r["text"], name="t").pages for w in p.words]
        assert [w["word"] for w in r["words"]] == page_words
        assert [w["index"] for w in r["words"]] == list(range(len(page_words)))
        assert r["events"] and not r["clean"]

        tokens = []
        for w, prev in zip(r["words"], [None, *r["words"]], strict=False):
            assert w["status"] in gen.STATUSES
            if w["status"] in ("omitted", "assisted"):
                assert w["start"] is None and w["end"] is None
            else:
                tokens.append((w["start"], w["end"]))
            if w["status"] == "assisted":
                assert w["hesitation_s"] > 3.0
            elif w["status"] != "omitted" and not (prev and prev["status"] == "assisted"):
                assert w["hesitation_s"] < 3.0  # no accidental stall anywhere else
            if w["status"] == "substituted":
                assert w["heard"] and gen._key(w["heard"]) != gen._key(w["word"])
            if w["status"] == "self_corrected":
                a = w["attempt"]
                assert a["end"] < w["start"] and w["end"] - a["start"] < 3.0
                tokens.append((a["start"], a["end"]))
        tokens += [(x["start"], x["end"]) for x in r["insertions"] + r["repetitions"]]
        tokens.sort()
        assert all(0 <= s < e <= r["audio_s"] for s, e in tokens)
        assert all(e1 <= s2 + 1e-6 for (_, e1), (s2, _) in zip(tokens, tokens[1:], strict=False))

        n_correct = sum(w["status"] in gen.CORRECT for w in r["words"])
        assert r["words_correct"] == n_correct
        assert r["errors"] == sum(w["status"] in gen.ERRORS for w in r["words"])
        duration = tokens[-1][1] - tokens[0][0]
        assert r["duration_s"] == pytest.approx(duration, abs=2e-3)
        assert r["wcpm_true"] == pytest.approx(n_correct * 60 / duration, abs=0.2)

        if not r["noise"]:  # words are where the sound is, silences are silent
            for s, e in tokens:
                seg = audio[int(s * sr) : int(e * sr)]
                assert np.sqrt(np.mean(seg**2)) > 0.01
            for (_, e1), (s2, _) in zip(tokens, tokens[1:], strict=False):
                if s2 - e1 > 0.6:
                    mid = audio[int((e1 + 0.2) * sr) : int((s2 - 0.2) * sr)]
                    assert np.sqrt(np.mean(mid**2)) < 2e-3


def test_noise_is_mixed_at_the_requested_snr():
    rng = np.random.default_rng(0)
    x = np.zeros(16000, np.float32)
    x[4000:12000] = 0.3 * np.sin(np.arange(8000) * 0.05)
    active = x != 0
    for kind in ("white", "pink"):
        y = gen.mix_noise(x, active, kind, 15.0, rng, None)
        noise = y - x
        snr = 10 * np.log10(np.mean(x[active] ** 2) / np.mean(noise**2))
        assert snr == pytest.approx(15.0, abs=0.1)


# ---------------------------------------------------------------- the scorer


def test_a_perfect_prediction_scores_perfectly():
    result = score(TRUTH, {t["clip"]: perfect_prediction(t) for t in TRUTH})
    g = result["groups"]["all"]
    assert g["false_rejection_rate"] == 0.0 and g["miscue_recall"] == 1.0
    assert g["miscue_precision"] == 1.0 and g["error_type_accuracy"] == 1.0
    assert g["wcpm_abs_err_pct_mean"] == 0.0 and g["wcpm_abs_err_pct_clean_max"] == 0.0
    assert g["words"] == 30 and g["true_errors"] == 3 and g["self_corrected_accepted"] == 1.0
    assert result["groups"]["adult"]["clips"] == 2 and result["groups"]["child"]["clips"] == 1
    assert result["targets"]["adult"] == {"false_rejection_ok": True, "miscue_recall_ok": True}
    assert "child/held_out" not in result["groups"]
    text = table(result, "pocketsphinx")
    assert "adult ok" in text and "child/standard" in text


def test_sets_are_pooled_under_distinct_names(tmp_path):
    sets = [tmp_path / "seed7", tmp_path / "seed101"]
    records = pooled_truth(sets, lambda data: copy.deepcopy(TRUTH))
    assert len(records) == 2 * len(TRUTH)
    assert len({r["clip"] for r in records}) == len(records)
    assert records[-1]["clip"] == f"seed101/{TRUTH[-1]['clip']}"
    assert records[-1]["wav"] == str(sets[1] / "clips" / f"{TRUTH[-1]['clip']}.wav")
    pooled = score(records, {r["clip"]: perfect_prediction(r) for r in records})["groups"]["all"]
    assert pooled["words"] == 2 * score(TRUTH, {t["clip"]: perfect_prediction(t) for t in TRUTH})[
        "groups"]["all"]["words"]  # fmt: skip
    assert pooled_truth(sets[:1], lambda data: TRUTH) == TRUTH
    with pytest.raises(SystemExit, match="different folder names"):
        pooled_truth([sets[0], tmp_path / "other" / "seed7"], lambda data: TRUTH)


def test_false_rejections_misses_and_wrong_types_are_counted():
    preds = {t["clip"]: perfect_prediction(t) for t in TRUTH}
    # a2: a correct word called substituted; WCPM off by 10%.
    preds["a2"]["words"][3]["status"] = "substituted"
    preds["a2"]["summary"]["wcpm"] = 90.0
    # a1: the omission missed, the substitution called an omission.
    preds["a1"]["words"][9]["status"] = "correct"
    preds["a1"]["words"][8]["status"] = "omitted"
    # c1: the self-correction rejected.
    preds["c1"]["words"][1]["status"] = "substituted"
    result = score(TRUTH, preds)
    g = result["groups"]["all"]
    assert g["false_rejections"] == 2
    assert g["false_rejection_rate"] == pytest.approx(2 / 27, abs=1e-4)
    assert g["miscue_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert g["miscue_precision"] == pytest.approx(2 / 4, abs=1e-4)
    assert g["error_type_accuracy"] == 0.5
    assert g["recall_by_type"] == {"omitted": 0.0, "substituted": 1.0, "assisted": 1.0}
    assert g["self_corrected_accepted"] == 0.0
    assert g["wcpm_abs_err_pct_clean_max"] == 10.0 and g["wcpm_clean_within_5pct"] == 0.0
    adult = result["groups"]["adult"]
    assert adult["false_rejection_rate"] == pytest.approx(1 / 18, abs=1e-4)
    assert result["targets"]["adult"]["false_rejection_ok"] is False
    assert result["targets"]["all"]["wcpm_clean_ok"] is False
    clip = next(c for c in result["clips"] if c["clip"] == "a1")
    assert [m["index"] for m in clip["misses"]] == [9]
    assert [m["index"] for m in clip["wrong_type"]] == [8]
    assert "MISS" in table(result)


def test_failed_or_misaligned_predictions_are_reported_not_scored():
    preds = {t["clip"]: perfect_prediction(t) for t in TRUTH}
    preds["a1"] = None
    preds["c1"]["words"] = preds["c1"]["words"][:-1]
    result = score(TRUTH, preds)
    g = result["groups"]["all"]
    assert g["clips"] == 3 and g["clips_failed"] == 2 and g["words"] == 10
    assert "failed" in next(c for c in result["clips"] if c["clip"] == "c1")
    # Clips without any prediction entry (e.g. --limit) are left out entirely.
    assert score(TRUTH, {"a2": perfect_prediction(TRUTH[1])})["groups"]["all"]["clips"] == 1


def test_live_following_is_scored_against_the_truth():
    from tests.benchmarks.reading_eval.live import compare

    words = [{"index": i, "word": w, "status": s, "end": e} for i, (w, s, e) in enumerate(
        [("a", "correct", 1.0), ("b", "assisted", None), ("c", "correct", 5.0),
         ("d", "correct", 5.5)])]  # fmt: skip
    live = {"lit": {"0": 1.1, "2": 5.3}, "helped": {"1": 4.2, "3": 9.0}}
    c = compare({"words": words}, live)
    counts = ("read", "lit", "stalls", "stalls_helped", "false_helps")
    assert [c[k] for k in counts] == [3, 2, 1, 1, 1]
    assert np.allclose(c["lit_delays"], [0.1, 0.3]) and np.allclose(c["help_delays"], [3.2])


@pytest.mark.slow
def test_live_following_of_the_small_set(tmp_path, small_set):
    """The app's live loop (real recognizer, tracker) on generated clips."""
    import json

    from tests.benchmarks.reading_eval import live

    data, records = small_set
    assert live.main(["--data", str(data), "--json", str(tmp_path / "live.json")]) == 0
    result = json.loads((tmp_path / "live.json").read_text())
    assert set(result["clips"]) == {r["clip"] for r in records}
    adult = result["groups"]["adult"]
    assert adult["clips"] >= 1 and adult["lit_pct"] >= 80.0, adult
    assert result["groups"]["all"]["false_helps"] <= 2


def test_wcpm_parts_split_a_clean_readings_error_into_count_and_time():
    from tests.benchmarks.reading_eval.wcpm_parts import parts

    truth = truth_record("p", ["correct"] * 10, clean=True)
    truth.update(words_correct=10, duration_s=4.8)
    truth["wcpm_true"] = 10 * 60 / 4.8
    pred = perfect_prediction(truth)
    pred["words"][3]["status"] = "substituted"  # one false rejection: the count 10% low
    pred["summary"] = {"duration_s": 6.0}  # the reading time 25% long: WCPM 20% low by it
    p = parts(truth, pred)
    assert round(p["count"], 6) == -10.0 and round(p["time"], 6) == -20.0
    assert round(p["error"], 6) == -28.0  # 0.9 x 0.8
    assert p["untimed"] == 0 and p["start_s"] == 0.0 and p["end_s"] == 0.0
