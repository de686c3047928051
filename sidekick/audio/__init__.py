"""Audio in and out: microphone or WAV file in (16 kHz int16 PCM); speaker, WAV files or
silence out. sounddevice is imported lazily, so a machine without PortAudio still works
with files."""

from sidekick.audio.base import CHUNK_SECONDS, AudioSink, AudioSource
from sidekick.audio.devices import probe_input, probe_output
from sidekick.audio.resample import float_to_pcm, pcm_to_float, resample, to_mono
from sidekick.audio.sinks import SilentSink, SpeakerSink, WavDirSink
from sidekick.audio.sources import MicrophoneSource, WavFileSource

__all__ = [
    "CHUNK_SECONDS",
    "AudioSink",
    "AudioSource",
    "MicrophoneSource",
    "SilentSink",
    "SpeakerSink",
    "WavDirSink",
    "WavFileSource",
    "float_to_pcm",
    "pcm_to_float",
    "probe_input",
    "probe_output",
    "resample",
    "to_mono",
]
