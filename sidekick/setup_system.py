"""``sidekick setup``: install the few Debian packages the app needs when they are missing.

``--for-tests`` adds what only the test suite and benchmarks use: flite, espeak-ng,
festival and MBROLA voices (the reading evaluation's readers: voices and accents the project
does not use; MBROLA's voices are in Debian's non-free component), a PulseAudio server with
ALSA's pulse plugin (the virtual microphone and speaker the sound-device tests run through)
and strace (watches a session's system calls: no network, nothing of the child's voice on
disk).
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
    "espeak-ng": lambda: shutil.which("espeak-ng") is not None,
    "festival": lambda: shutil.which("festival") is not None,
    **{
        pkg: (lambda d=voice: Path("/usr/share/festival/voices", d).is_dir())
        for pkg, voice in (
            ("festvox-kallpc16k", "english/kal_diphone"),
            ("festvox-kdlpc16k", "english/ked_diphone"),
            ("festvox-us-slt-hts", "us/cmu_us_slt_arctic_hts"),
        )
    },
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


#: ... and the MBROLA voices of the reading evaluation (Debian contrib and non-free).
MBROLA_VOICES = ("us1", "us2", "us3", "en1", "de4", "de5", "fr1", "fr4")
NON_FREE_TEST_PACKAGES: dict[str, Callable[[], bool]] = {
    "mbrola": lambda: shutil.which("mbrola") is not None,
    **{
        f"mbrola-{v}": (lambda v=v: Path("/usr/share/mbrola", v, v).exists()) for v in MBROLA_VOICES
    },
}


def missing_packages(for_tests: bool = False, non_free: bool = False) -> list[str]:
    wanted = {**APP_PACKAGES, **(TEST_PACKAGES if for_tests else {})}
    if non_free:
        wanted = NON_FREE_TEST_PACKAGES
    return [name for name, present in wanted.items() if not present()]


def install_system_packages(for_tests: bool = False) -> int:
    """Install what is missing with apt-get (as root or through sudo). Returns an exit code."""
    code = _install(missing_packages(for_tests), for_tests)
    if for_tests:
        _install(missing_packages(non_free=True), for_tests, non_free=True)
    return code


def _install(missing: list[str], for_tests: bool, non_free: bool = False) -> int:
    if not missing:
        if not non_free:
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
        if non_free:
            what = ("the reading evaluation's MBROLA voices need Debian's contrib and non-free "
                    "components in the apt sources")  # fmt: skip
        print(f"Could not install {' '.join(missing)} ({exc}); {what}.")
        return 0
    return 0
