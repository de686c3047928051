"""Predicted naturalness (MOS, 1 to 5) of synthesized speech with DistillMOS.

``distillmos`` (PyPI, MIT) ships its 17 MB weights and needs only torch to run the model.
Its module also imports ``torchaudio`` at the top, for its own command line (reading and
resampling files), which we do not use; torchaudio has no release for the CPU torch this
project pins. When torchaudio is not installed, an empty placeholder module stands in for
the import only; the model and its weights are DistillMOS's own, untouched. Audio is
resampled to the model's 16 kHz with soxr.

Install: ``pip install --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0`` (``--no-deps`` keeps
pip from pulling torchaudio, transformers and a CUDA torch; the model needs neither).
"""

from __future__ import annotations

import sys
import types

import numpy as np

MOS_RATE = 16_000
INSTALL = "pip install --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0"


class MosScorer:
    """``scorer(audio, rate) -> float``: DistillMOS's predicted MOS of one utterance."""

    def __init__(self, threads: int = 2) -> None:
        try:
            import torch
        except ImportError as exc:
            raise RuntimeError("MOS needs torch: pip install 'sidekick-reader[train]'") from exc
        placeholder = None
        if "torchaudio" not in sys.modules:
            try:
                import torchaudio  # noqa: F401
            except ImportError:
                placeholder = sys.modules["torchaudio"] = types.ModuleType("torchaudio")
        try:
            from distillmos import ConvTransformerSQAModel
        except ImportError as exc:
            raise RuntimeError(f"MOS needs DistillMOS: {INSTALL}") from exc
        finally:
            if placeholder is not None:
                del sys.modules["torchaudio"]
        torch.set_num_threads(threads)
        self.torch = torch
        self.model = ConvTransformerSQAModel().eval()

    def __call__(self, audio: np.ndarray, rate: int) -> float:
        import soxr

        x = soxr.resample(audio.astype(np.float32), rate, MOS_RATE) if rate != MOS_RATE else audio
        with self.torch.no_grad():
            score = self.model(self.torch.from_numpy(np.ascontiguousarray(x, np.float32))[None])
        return float(score.reshape(-1)[0])
