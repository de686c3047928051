"""The torch weights of an exported voice bundle, so that training can start from it.

A bundle keeps only ``acoustic.onnx``; its training checkpoint is not shipped. The ONNX
export keeps most parameters under their own names (``model.<path>``); the weights of the
linear layers it stores transposed under generated names (``onnx::MatMul_N``), and the
MatMul node that reads each one is named after the layer (``/encoder/blocks.0/attn/qkv/
MatMul``). Both are mapped back here; a parameter that cannot be found is an error, so a
warm start is all of the bundle's model or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from train.acoustic.model import AcousticModel
from train.config import ModelConfig


class WarmStartError(ValueError):
    """The bundle's weights do not make a whole model."""


def load_bundle_model(bundle: Path) -> tuple[AcousticModel, dict[str, Any]]:
    """The bundle's acoustic model (eval mode) and its ``voice.json``."""
    import onnx
    from onnx import numpy_helper

    bundle = Path(bundle)
    config_path = bundle / "voice.json"
    if not config_path.is_file():
        raise WarmStartError(f"{bundle} is not a voice bundle: voice.json is missing.")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    model = AcousticModel(ModelConfig(**config["training"]["model"]))
    graph = onnx.load(str(bundle / config["acoustic"])).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = {k.removeprefix("model."): v for k, v in arrays.items() if k.startswith("model.")}
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        for name in node.input:
            if name in arrays and not name.startswith("model."):
                layer = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
                state[f"{layer}.weight"] = arrays[name].T
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    wrong = sorted(k for k in expected if k in state and state[k].shape != expected[k].shape)
    if missing or wrong:
        raise WarmStartError(
            f"{bundle}: the ONNX file does not hold the whole model "
            f"(missing {missing[:3]}, other shapes {wrong[:3]})."
        )
    model.load_state_dict(
        {k: torch.from_numpy(np.array(state[k], dtype=np.float32)) for k in expected}
    )
    return model.eval(), config
