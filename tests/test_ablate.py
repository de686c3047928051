"""``sidekick-train ablate`` end to end on the tiny teacher corpus: four real (tiny) runs at
equal budget, each exported and measured with the shipped vocoder, and the table that goes on
the model card. WER is left out here (``--no-whisper``); Whisper's part of ``evaluate`` is
tested with the shipped voice in ``test_storyteller.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("parselmouth")

from tests.helpers.train import tiny_config, tiny_corpus  # noqa: E402
from train.cli import main  # noqa: E402
from train.evaluation.ablate import VARIANTS  # noqa: E402
from train.export.model_card import ablation_table  # noqa: E402


@pytest.mark.slow
def test_ablations_at_equal_budget(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.getbasetemp()
    corpus = tiny_corpus(base)
    out = base / "ablate"
    config = out.parent / "ablate-config.json"
    config.write_text(json.dumps(tiny_config(steps=8, val_every=8, ckpt_every=8).to_dict()))
    argv = ["ablate", str(corpus), "--uncurated", str(corpus), "--out", str(out)]
    argv += ["--config", str(config)]
    assert main([*argv, "--generate", "2", "--no-whisper"]) == 0

    result = json.loads((out / "ablations.json").read_text())
    assert list(result["runs"]) == ["baseline", "uncurated", "no_l2", "no_neutral"]
    assert set(result["runs"]) == set(VARIANTS)
    for name, run in result["runs"].items():
        assert run["steps"] == 8, name
        assert (out / "voices" / name / "acoustic.onnx").is_file()
    # each run changed what it says it changed
    logged = [json.loads(line) for line in (out / "no_l2" / "log.jsonl").read_text().splitlines()]
    assert all(row["l2_term"] == 0 for row in logged if "l2_term" in row)
    assert json.loads((out / "baseline.json").read_text())["l2"] > 0
    hours = result["runs"]["no_neutral"]["train_hours_by_style"]
    assert not hours.get("neutral") and hours["storytelling"] > 0
    assert result["runs"]["baseline"]["train_hours_by_style"]["neutral"] > 0
    assert set(result["runs"]["baseline"]["styles"]) == {"neutral", "storytelling"}
    assert "standard" in result  # measured once, with the baseline

    md = ablation_table(result)
    assert md.count("| no_neutral |") == 1  # its untrained neutral style is not compared
    assert md.count("| baseline |") == 2

    # a second call measures again from the cached figures without training
    stamp = (out / "baseline" / "ckpt.pt").stat().st_mtime
    assert main([*argv, "--generate", "2", "--no-whisper"]) == 0
    assert (out / "baseline" / "ckpt.pt").stat().st_mtime == stamp


def test_ablate_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["ablate", str(tmp_path), "--uncurated", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "metadata.csv is missing" in capsys.readouterr().err
