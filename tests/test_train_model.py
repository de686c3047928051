"""The acoustic model, its training loop and the vocoder's mel, on a tiny real teacher corpus.

The corpus (6 utterances, both styles) is spoken by the real teacher voice with its exact
durations; the model is tiny and trains for a few dozen steps, so these stay fast on 2 cores
(:mod:`tests.helpers.train`, shared with other test files, built once per session).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("parselmouth")

from tests.helpers.train import TINY_MODEL, tiny_config, tiny_corpus, tiny_run  # noqa: E402
from train.acoustic.fit import Sampler, fit  # noqa: E402
from train.acoustic.model import AcousticModel, l2_sum, regulate  # noqa: E402
from train.cli import main  # noqa: E402
from train.config import HOP, SAMPLE_RATE, FitConfig, ModelConfig  # noqa: E402


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return tiny_run(tmp_path_factory.getbasetemp())


def _rows(run: Path, split: str) -> list[dict]:
    lines = (run / "log.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def test_loss_goes_down(trained: tuple[Path, Path]) -> None:
    _, run = trained
    rows = _rows(run, "train")
    assert [r["step"] for r in rows] == list(range(5, 61, 5))
    first, last = rows[0], rows[-1]
    assert last["loss"] < 0.8 * first["loss"]
    assert last["mel"] < first["mel"]
    assert len(_rows(run, "val")) == 2  # steps 30 and 60


def test_l2_penalty_is_logged_apart(trained: tuple[Path, Path]) -> None:
    _, run = trained
    for r in _rows(run, "train"):
        assert r["l2_sum"] > 0 and r["l2_term"] > 0
        assert r["l2_term"] == pytest.approx(1e-4 * r["l2_sum"], rel=1e-3)
        parts = r["mel"] + r["duration"] + r["pitch"] + r["energy"]
        assert r["loss"] == pytest.approx(parts, rel=1e-3)  # the loss does not include it


def test_run_outputs(trained: tuple[Path, Path]) -> None:
    _, run = trained
    summary = json.loads((run / "run.json").read_text())
    assert summary["styles"] == ["neutral", "storytelling"]
    assert summary["default_style"] == "storytelling"
    assert summary["steps"] == 60 and summary["train_utterances"] + summary["val_utterances"] == 6
    assert summary["hardware"]["device"] == "cpu"
    assert (run / "loss.svg").read_text().count("<svg") == 1
    ckpt = torch.load(run / "ckpt.pt", map_location="cpu", weights_only=False)
    assert ckpt["step"] == 60 and ckpt["model_config"]["n_styles"] == 2
    assert ckpt["phoneme_id_map"]["ə"] and ckpt["stats"]["log_f0_std"] > 0


def test_resumes_from_the_checkpoint(trained: tuple[Path, Path], tmp_path: Path) -> None:
    root, run = trained
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    summary = fit(root, copy, tiny_config(steps=70), progress=False)
    assert summary["steps"] == 70
    steps = [r["step"] for r in _rows(copy, "train")]
    assert steps[-3:] == [60, 65, 70] and steps.count(60) == 1


def test_without_neutral_augmentation(trained: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = trained
    summary = fit(root, tmp_path / "run", tiny_config(steps=2, neutral_share=0.0), progress=False)
    assert set(summary["train_hours_by_style"]) == {"storytelling"}
    assert summary["styles"] == ["neutral", "storytelling"]  # the style ids stay the same


def test_sampler_mixes_in_the_neutral_share() -> None:
    from train.acoustic.features import Item

    def item(style: int, frames: int) -> Item:
        z = np.zeros(3, np.float32)
        return Item("x", style, z, z, z, z, np.zeros((frames, 80), np.float16))

    items = [item(0, 50 + i) for i in range(5)] + [item(1, 80 + i) for i in range(20)]
    sampler = Sampler(items, neutral=0, cfg=tiny_config(neutral_share=0.5), seed=1)
    drawn = [i for _ in range(400) for i in sampler.next()]
    assert abs(np.mean([items[i].style == 0 for i in drawn]) - 0.5) < 0.05


def test_config_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "fit.toml"
    path.write_text(
        'steps = 7\nl2 = 0.0\nstyles = ["neutral", "storytelling"]\n[model]\nd_model = 48\n'
    )
    cfg = FitConfig.load(path)
    assert cfg.steps == 7 and cfg.l2 == 0.0 and cfg.model.d_model == 48
    assert cfg.styles == ("neutral", "storytelling") and cfg.model.n_heads == 2


def test_config_refuses_unknown_keys(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "fit.toml"
    path.write_text("stpes = 7\n")
    with pytest.raises(ValueError, match="unknown setting 'stpes'"):
        FitConfig.load(path)
    path.write_text("[model]\nd_modl = 48\n")
    with pytest.raises(ValueError, match=r"unknown setting 'model\.d_modl'"):
        FitConfig.load(path)
    argv = ["fit", str(tmp_path), "--out", str(tmp_path / "run"), "--config", str(path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "fit.toml: unknown setting 'model.d_modl'" in err and len(err.splitlines()) == 1


def test_fit_cli_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["fit", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    assert "metadata.csv is missing" in capsys.readouterr().err
    (tmp_path / "wavs").mkdir()
    (tmp_path / "metadata.csv").write_text("a|No durations here.|neutral\n")
    assert main(["fit", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    assert "aligner" in capsys.readouterr().err


def test_regulate_repeats_phonemes() -> None:
    x = torch.arange(3, dtype=torch.float32).view(1, 3, 1)
    out = regulate(x, torch.tensor([[2, 0, 3]]), torch.arange(6))
    assert out.view(-1).tolist() == [0, 0, 2, 2, 2, 0]  # the last frame is past the end


def test_synthesize_knobs() -> None:
    torch.manual_seed(0)
    model = AcousticModel(ModelConfig(**TINY_MODEL)).eval()
    model.init_outputs(torch.zeros(80), float(np.log1p(6)))
    ids = torch.randint(1, 100, (1, 20))
    one = torch.tensor([1.0])
    mel, durations = model.synthesize(ids, torch.tensor([1]), one, one)
    assert mel.shape == (1, 80, int(durations.sum()))
    slow_mel, slow = model.synthesize(ids, torch.tensor([1]), torch.tensor([0.5]), one)
    assert slow.sum() == pytest.approx(2 * durations.sum(), rel=0.15)
    assert l2_sum(model) > 0


def test_mel_matches_the_teacher_frames() -> None:
    from train.data.teacher import Teacher
    from train.mel import mel_filters, mel_spectrogram

    teacher = Teacher()
    syn = teacher.synthesize(teacher.phoneme_ids(teacher.phonemize("A small red hen.")))
    mel = mel_spectrogram(syn.audio)
    assert mel.shape == (80, int(syn.durations.sum()))
    assert len(syn.audio) == mel.shape[1] * HOP and SAMPLE_RATE == 22_050
    assert float(mel.min()) >= np.log(1e-5) - 1e-4
    librosa = pytest.importorskip("librosa")
    reference = librosa.filters.mel(sr=22050, n_fft=1024, n_mels=80, fmin=0, fmax=8000)
    assert np.abs(mel_filters() - reference).max() < 1e-6


@pytest.mark.filterwarnings("ignore::FutureWarning")  # the checkpoint's old weight_norm
def test_weight_norm_is_folded_exactly() -> None:
    from train.export.vocoder import fold_weight_norm

    for conv in (torch.nn.Conv1d(4, 6, 3), torch.nn.ConvTranspose1d(6, 4, 4, 2)):
        normed = torch.nn.utils.weight_norm(conv)  # the checkpoint's weight_g / weight_v
        x = torch.randn(1, normed.in_channels, 10)
        with torch.no_grad():
            want = normed(x)
            plain = type(conv)(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride)
            plain.load_state_dict(fold_weight_norm(dict(normed.state_dict())))
            assert torch.allclose(plain(x), want, atol=1e-6)


@pytest.mark.slow
def test_warm_start_from_a_bundle(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """``fit --init-from`` starts from the exported bundle's exact model and normalization."""
    from sidekick.paths import BUNDLED_VOICES
    from train.acoustic.warm_start import load_bundle_model
    from train.export.bundle import check_acoustic

    bundle = BUNDLED_VOICES / "storyteller"
    model, config = load_bundle_model(bundle)
    same = check_acoustic(model, bundle / "acoustic.onnx", [1, 0, 20, 0, 30, 0, 40, 0, 2], 2)
    assert same["same_durations"] and same["max_abs_mel_difference"] < 1e-3

    root = tiny_corpus(tmp_path_factory.getbasetemp())
    run = tmp_path / "run"
    fit(root, run, tiny_config(steps=0, init_from=str(bundle)), progress=False)
    ckpt = torch.load(run / "ckpt.pt", map_location="cpu", weights_only=False)
    assert ckpt["model_config"]["d_model"] == config["training"]["model"]["d_model"]
    assert ckpt["styles"] == config["styles"]
    assert ckpt["stats"]["log_f0_mean"] == config["normalization"]["log_f0_mean"]
    for key, value in model.state_dict().items():
        assert torch.equal(ckpt["model"][key], value), key
    summary = fit(root, run, tiny_config(steps=5), progress=False)  # resumed without it
    assert summary["steps"] == 5 and np.isfinite(_rows(run, "train")[-1]["loss"])
    assert summary["fit_config"]["init_from"] == str(bundle)  # still on record
