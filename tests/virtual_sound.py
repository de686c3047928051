"""A private PulseAudio server with a virtual microphone and speaker, for tests and benchmarks.

Two null sinks stand in for the sound card: whatever is played into the sink ``mic`` is what
the default input (``mic.monitor``) records, and whatever Sidekick plays on the default
output (sink ``spk``) can be recorded from ``spk.monitor``. PortAudio reaches the server
through ALSA's ``pulse`` plugin (Debian: pulseaudio, pulseaudio-utils, libasound2-plugins),
so sounddevice opens these devices exactly as it opens a real sound card.

For a developer's shell::

    eval "$(python -m tests.virtual_sound start)"   # exports PULSE_SERVER, PULSE_RUNTIME_PATH
    paplay -d mic child.wav &                        # the child speaks into the microphone
    parec -d spk.monitor --rate=22050 --channels=1 --format=s16le > heard.raw
    python -m tests.virtual_sound stop
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Debian packages the virtual devices need.
PACKAGES = ("pulseaudio", "pulseaudio-utils", "libasound2-plugins")
MIC, SPEAKER = "mic", "spk"


def _ending_with_parent(cmd: list[str]) -> list[str]:
    """``cmd`` run so that it ends when the test process ends, even killed: no server
    outlives its tests. util-linux's ``setpriv`` sets the parent-death signal before it
    runs the server; no Python code runs in the forked child (that can deadlock on a lock
    a native thread of the test process held at the fork)."""
    if setpriv := shutil.which("setpriv"):
        return [setpriv, "--pdeathsig", "TERM", "--", *cmd]
    return cmd  # the fixture still stops the server when the tests end


def missing_tools() -> list[str]:
    return [t for t in ("pulseaudio", "pactl", "paplay", "parec") if shutil.which(t) is None]


class VirtualSound:
    """One private server; :meth:`start` it, then :attr:`env` reaches it."""

    def __init__(self, runtime_dir: str | Path | None = None) -> None:
        self.runtime = Path(runtime_dir or tempfile.mkdtemp(prefix="sidekick-pulse-"))
        self.env = {
            **os.environ,
            "PULSE_RUNTIME_PATH": str(self.runtime),
            "PULSE_SERVER": f"unix:{self.runtime}/native",
            "PULSE_STATE_PATH": str(self.runtime / "state"),
            "PULSE_COOKIE": str(self.runtime / "cookie"),
        }
        self._helpers: list[subprocess.Popen] = []
        self._server: subprocess.Popen | None = None

    @property
    def exports(self) -> dict[str, str]:
        keys = ("PULSE_RUNTIME_PATH", "PULSE_SERVER", "PULSE_STATE_PATH", "PULSE_COOKIE")
        return {k: self.env[k] for k in keys}

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=check,
                              timeout=20)  # fmt: skip

    def start(
        self, mic_rate: int = 48_000, mic_channels: int = 2, daemon: bool = False
    ) -> VirtualSound:
        """Start the server with the virtual microphone at ``mic_rate`` Hz, ``mic_channels``.
        Unless ``daemon``, the server is this process's child and ends when it ends."""
        if missing := missing_tools():
            raise RuntimeError(
                f"not installed: {', '.join(missing)} (Debian: {' '.join(PACKAGES)})"
            )
        cmd = [
            "pulseaudio", f"--daemonize={'yes' if daemon else 'no'}", "--exit-idle-time=-1",
            "--system=false", "-n", "--use-pid-file=yes", "--log-target=stderr",
            "-L", "module-native-protocol-unix",
            "-L", f"module-null-sink sink_name={SPEAKER}",
            "-L", f"module-null-sink sink_name={MIC} rate={mic_rate} channels={mic_channels}",
        ]  # fmt: skip
        if daemon:
            self._run(*cmd)
        else:
            self._server = subprocess.Popen(
                _ending_with_parent(cmd), env=self.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while self._run("pactl", "info", check=False).returncode:
            if time.monotonic() > deadline or (self._server and self._server.poll() is not None):
                raise RuntimeError("the PulseAudio server did not start")
            time.sleep(0.05)
        self._run("pactl", "set-default-source", f"{MIC}.monitor")
        self._run("pactl", "set-default-sink", SPEAKER)
        self._keep_awake()
        return self

    def _keep_awake(self) -> None:
        """An idle null sink sleeps up to 2 s between wake-ups, so a stream opened then would
        wait that long for its first audio (a real sound card does not). A low-latency
        listener on each sink keeps it waking every few milliseconds."""
        for sink in (MIC, SPEAKER):
            self._helpers.append(subprocess.Popen(
                ["parec", "-d", f"{sink}.monitor", "--latency-msec=10", "--rate=8000",
                 "--channels=1", "--format=s16le", "--raw"],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        time.sleep(2.5)  # the sinks' first long sleep ends

    @property
    def pid(self) -> int | None:
        if self._server is not None:
            return self._server.pid
        try:
            return int((self.runtime / "pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    @property
    def running(self) -> bool:
        return self._run("pactl", "info", check=False).returncode == 0

    def stop(self) -> None:
        """Stop the server (as a sound card that is unplugged: no goodbye to the clients)."""
        if self._server is not None:
            self._server.kill()
            self._server.wait(timeout=5)
            self._server = None
        elif (pid := self.pid) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)
        (self.runtime / "pid").unlink(missing_ok=True)
        (self.runtime / "native").unlink(missing_ok=True)
        for helper in self._helpers:  # they end with the server
            helper.wait(timeout=5)
        self._helpers.clear()

    def play_into_mic(self, wav: str | Path) -> subprocess.Popen:
        """Start playing ``wav`` into the microphone in real time (returns at once)."""
        return subprocess.Popen(["paplay", "-d", MIC, str(wav)], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip

    def mic_player(self, rate: int) -> subprocess.Popen:
        """A player into the microphone that waits for mono int16 PCM at ``rate`` on its
        stdin: the audio is heard (by the microphone) as soon as it is written, without the
        start-up time of a new player process."""
        return subprocess.Popen(
            ["pacat", "--playback", "-d", MIC, "--raw", "--format=s16le", f"--rate={rate}",
             "--channels=1", "--latency-msec=20"],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def record_speaker(self, raw: str | Path, rate: int = 22_050) -> subprocess.Popen:
        """Start recording the speaker into ``raw`` (mono int16 at ``rate``); terminate() ends."""
        return subprocess.Popen(
            ["parec", "-d", f"{SPEAKER}.monitor", f"--rate={rate}", "--channels=1",
             "--format=s16le", "--latency-msec=20", "--file-format=wav", str(raw)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def __enter__(self) -> VirtualSound:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop"):
        print(__doc__)
        return 2
    runtime = os.environ.get("PULSE_RUNTIME_PATH")
    if argv[0] == "stop":
        if runtime:
            VirtualSound(runtime).stop()
        print("unset PULSE_SERVER PULSE_RUNTIME_PATH PULSE_STATE_PATH PULSE_COOKIE")
        return 0
    sound = VirtualSound().start(daemon=True)
    for k, v in sound.exports.items():
        print(f"export {k}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
