"""The storyteller's acoustic model: phoneme ids + style id -> 80-bin log-mel (FastSpeech 2-like).

No attention between text and audio, so no attention failures: the model predicts how many
mel frames each phoneme lasts and repeats the phoneme's hidden vector that many times.

    ids ─ embedding ─ encoder (FFT blocks) ─ + style embedding ─┬─ duration predictor (log frames)
                                                               ├─ pitch predictor  ─ conv ─┐
                                                               └─ energy predictor ─ conv ─┤
                                              hidden + pitch emb + energy emb  <───────────┘
                                                 ─ length regulator (durations)
                                                 ─ decoder (FFT blocks) ─ linear ─ log-mel

Pitch and energy are per phoneme (normalized log-F0 and log-energy averaged over the
phoneme's frames, FastPitch style). Training feeds the true durations, pitch and energy
(teacher forcing); :meth:`AcousticModel.synthesize` uses the predictions, with a ``rate``
that divides durations and an ``expressivity`` that scales pitch deviations around the
utterance's mean — the two knobs the runtime exposes. The phoneme symbols are Piper's
(espeak-ng IPA, the teacher voice's ``phoneme_id_map``); the mel is the universal vocoder's
(see ``train/mel.py``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from train.config import ModelConfig


def positions(mask: Tensor, dim: int) -> Tensor:
    """Sinusoidal position encodings [B, T, dim] for a padding mask [B, T] (True = padding);
    built from a cumulative sum so exported graphs keep the length dynamic."""
    pos = torch.cumsum(torch.ones_like(mask, dtype=torch.float32), dim=1) - 1.0
    freqs = torch.exp(
        torch.arange(0, dim, 2, device=mask.device, dtype=torch.float32) * (-math.log(1e4) / dim)
    )
    angles = pos.unsqueeze(-1) * freqs
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class SelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        keep = None if mask is None else ~mask[:, None, None, :]  # attend to real keys only
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=keep, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class FFTBlock(nn.Module):
    """Feed-forward Transformer block (pre-norm): self-attention, then a 1-D conv feed-forward."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.conv1 = nn.Conv1d(cfg.d_model, cfg.ff_dim, cfg.ff_kernel, padding=cfg.ff_kernel // 2)
        self.conv2 = nn.Conv1d(cfg.ff_dim, cfg.d_model, 1)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x), mask))
        y = self.conv2(self.drop(F.relu(self.conv1(self.norm2(x).transpose(1, 2)))))
        x = x + self.drop(y.transpose(1, 2))
        return x if mask is None else x.masked_fill(mask.unsqueeze(-1), 0.0)


class Stack(nn.Module):
    """Position encodings, FFT blocks and a final norm."""

    def __init__(self, cfg: ModelConfig, layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(FFTBlock(cfg) for _ in range(layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = self.drop(x + positions(mask, x.shape[-1]))
        attn_mask = mask if bool(mask.any()) else None  # no mask: the exported graph stays lean
        for block in self.blocks:
            x = block(x, attn_mask)
        return self.norm(x)


class VariancePredictor(nn.Module):
    """Two convolutions with ReLU, layer norm and dropout, then a linear layer: one value per
    position (log duration, pitch or energy)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        k, f = cfg.predictor_kernel, cfg.predictor_dim
        self.conv1 = nn.Conv1d(cfg.d_model, f, k, padding=k // 2)
        self.norm1 = nn.LayerNorm(f)
        self.conv2 = nn.Conv1d(f, f, k, padding=k // 2)
        self.norm2 = nn.LayerNorm(f)
        self.out = nn.Linear(f, 1)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = self.drop(self.norm1(F.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2)))
        x = self.drop(self.norm2(F.relu(self.conv2(x.transpose(1, 2))).transpose(1, 2)))
        return self.out(x).squeeze(-1).masked_fill(mask, 0.0)


def regulate(x: Tensor, durations: Tensor, frames: Tensor) -> Tensor:
    """Repeat each phoneme vector ``durations`` times: [B, N, D] -> [B, T, D].

    Done as a product with a 0/1 alignment matrix (frame t belongs to phoneme n when
    start_n <= t < end_n), which exports to ONNX with dynamic lengths. ``frames`` holds the
    frame indices 0..T-1."""
    end = torch.cumsum(durations, dim=1)
    start = end - durations
    t = frames.view(1, -1, 1)
    align = (t >= start.unsqueeze(1)) & (t < end.unsqueeze(1))
    return align.to(x.dtype) @ x


class AcousticModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.embed = nn.Embedding(cfg.n_symbols, d, padding_idx=0)
        self.style = nn.Embedding(cfg.n_styles, d)
        self.encoder = Stack(cfg, cfg.encoder_layers)
        self.duration = VariancePredictor(cfg)
        self.pitch = VariancePredictor(cfg)
        self.energy = VariancePredictor(cfg)
        self.pitch_embed = nn.Conv1d(1, d, 3, padding=1)
        self.energy_embed = nn.Conv1d(1, d, 3, padding=1)
        self.decoder = Stack(cfg, cfg.decoder_layers)
        self.to_mel = nn.Linear(d, cfg.n_mels)
        nn.init.normal_(self.embed.weight, 0.0, d**-0.5)
        nn.init.normal_(self.style.weight, 0.0, d**-0.5)

    def init_outputs(self, mel_mean: Tensor, log_duration_mean: float) -> None:
        """Start the mel output and the duration predictor at the corpus means (faster start)."""
        with torch.no_grad():
            self.to_mel.bias.copy_(mel_mean)
            self.duration.out.bias.fill_(log_duration_mean)

    def encode(self, ids: Tensor, styles: Tensor, mask: Tensor) -> Tensor:
        x = self.encoder(self.embed(ids), mask)
        return x + self.style(styles).unsqueeze(1)

    def add_variance(self, x: Tensor, pitch: Tensor, energy: Tensor) -> Tensor:
        p = self.pitch_embed(pitch.unsqueeze(1)).transpose(1, 2)
        e = self.energy_embed(energy.unsqueeze(1)).transpose(1, 2)
        return x + p + e

    def forward(
        self,
        ids: Tensor,  # [B, N] phoneme ids, 0-padded
        id_mask: Tensor,  # [B, N] True = padding
        styles: Tensor,  # [B]
        durations: Tensor,  # [B, N] frames per phoneme (0 on padding)
        pitch: Tensor,  # [B, N] normalized
        energy: Tensor,  # [B, N] normalized
        mel_mask: Tensor,  # [B, T] True = padding
    ) -> dict[str, Tensor]:
        """Training pass with teacher forcing; predictions for every loss."""
        x = self.encode(ids, styles, id_mask)
        out = {
            "log_duration": self.duration(x, id_mask),
            "pitch": self.pitch(x, id_mask),
            "energy": self.energy(x, id_mask),
        }
        x = self.add_variance(x, pitch, energy).masked_fill(id_mask.unsqueeze(-1), 0.0)
        frames = torch.arange(mel_mask.shape[1], device=ids.device)
        y = self.decoder(regulate(x, durations, frames), mel_mask)
        out["mel"] = self.to_mel(y)  # [B, T, n_mels]
        return out

    def synthesize(
        self, ids: Tensor, style: Tensor, rate: Tensor, expressivity: Tensor
    ) -> tuple[Tensor, Tensor]:
        """One utterance (batch of 1): ids [1, N], style [1], rate [1], expressivity [1] ->
        (mel [1, n_mels, T], durations [1, N] in frames of 256 samples)."""
        mask = torch.zeros_like(ids, dtype=torch.bool)
        x = self.encode(ids, style, mask)
        frames_f = (torch.exp(self.duration(x, mask)) - 1.0) / rate.view(1, 1)
        durations = torch.clamp(torch.round(frames_f), min=0).long()
        # at least one frame in all (the last id is the end-of-utterance symbol)
        durations = torch.cat([durations[:, :-1], durations[:, -1:].clamp(min=1)], dim=1)
        pitch = self.pitch(x, mask)
        centre = pitch.mean(dim=1, keepdim=True)
        pitch = centre + expressivity.view(1, 1) * (pitch - centre)
        x = self.add_variance(x, pitch, self.energy(x, mask))
        frames = torch.arange(durations.sum(), device=ids.device)
        y = regulate(x, durations, frames)
        y = self.decoder(y, torch.zeros_like(y[..., 0], dtype=torch.bool))
        return self.to_mel(y).transpose(1, 2), durations


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean over the positions where ``mask`` (True = padding) is False."""
    keep = (~mask).to(values.dtype)
    while keep.dim() < values.dim():
        keep = keep.unsqueeze(-1)
    scale = values.shape[-1] if values.dim() > mask.dim() else 1
    return (values * keep).sum() / (keep.sum() * scale).clamp(min=1.0)


def losses(out: dict[str, Tensor], batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """Mel L1, and MSE of log durations (log(1 + frames)), pitch and energy."""
    id_mask, mel_mask = batch["id_mask"], batch["mel_mask"]
    log_dur = torch.log1p(batch["durations"].float())
    return {
        "mel": masked_mean((out["mel"] - batch["mel"]).abs(), mel_mask),
        "duration": masked_mean((out["log_duration"] - log_dur) ** 2, id_mask),
        "pitch": masked_mean((out["pitch"] - batch["pitch"]) ** 2, id_mask),
        "energy": masked_mean((out["energy"] - batch["energy"]) ** 2, id_mask),
    }


def l2_weights(model: nn.Module) -> list[Tensor]:
    """The weights the L2 penalty applies to: every matrix, convolution kernel and embedding
    (not biases or layer-norm gains)."""
    return [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]


def l2_sum(model: nn.Module) -> Tensor:
    """Sum of squared weights (the penalty is ``coefficient * l2_sum``)."""
    return sum((w.float() ** 2).sum() for w in l2_weights(model))  # type: ignore[return-value]
