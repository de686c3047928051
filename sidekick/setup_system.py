"""``sidekick setup``: install the few Debian packages the app needs when they are missing.

``--for-tests`` adds what only the test suite and benchmarks use: flite (voices the project
does not use, for held-out readers), a PulseAudio server with ALSA's pulse plugin (the
virtual microphone and speaker the sound-device tests run through) and strace (watches a
session's system calls: no network, nothing of the child's voice on disk).
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

#: Debian package -> how to tell it is present: what the app needs.
APP_PACKAGES: dict[str, Callable[[], bool]] = {
    "libportaudio2": lambda: ctypes.util.find_library("portaudio") is not None,
}

#: ... and what only the tests need.
TEST_PACKAGES: dict[str, Callable[[], bool]] = {
    "flite": lambda: shutil.which("flite") is not None,
    "strace": lambda: shutil.which("strace") is not None,
    "pulseaudio": lambda: shutil.which("pulseaudio") is not None,
    "pulseaudio-utils": lambda: all(shutil.which(t) for t in ("pactl", "paplay", "parec")),
    "libasound2-plugins": lambda: any(
        Path(d).glob("libasound_module_pcm_pulse.so")
        for d in (
            "/usr/lib/x86_64-linux-gnu/alsa-lib",
            "/usr/lib/aarch64-linux-gnu/alsa-lib",
            "/usr/lib/alsa-lib",
            "/usr/lib64/alsa-lib",
        )
    ),  # fmt: skip
}


def missing_packages(for_tests: bool = False) -> list[str]:
    wanted = {**APP_PACKAGES, **(TEST_PACKAGES if for_tests else {})}
    return [name for name, present in wanted.items() if not present()]


def install_system_packages(for_tests: bool = False) -> int:
    """Install what is missing with apt-get (as root or through sudo). Returns an exit code."""
    missing = missing_packages(for_tests)
    if not missing:
        print("System packages: all present.")
        return 0
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"Please install with your package manager: {' '.join(missing)}")
        return 0  # the app still runs (file audio only)
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"Installing {' '.join(missing)} ...")
    try:
        subprocess.run([*prefix, apt, "update", "-qq"], check=True, env=env)
        subprocess.run([*prefix, apt, "install", "-y", "-qq", *missing], check=True, env=env)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        what = "some tests will be skipped" if for_tests else "audio devices will be unavailable"
        print(f"Could not install {' '.join(missing)} ({exc}); {what}.")
        return 0
    return 0
