"""``sidekick setup``: install the few Debian packages the app needs when they are missing
(``--test``: and those the tests need)."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess

#: Debian package -> how to tell it is present: what the app needs.
SYSTEM_PACKAGES = {
    "libportaudio2": lambda: ctypes.util.find_library("portaudio") is not None,
}
#: ... and what only the tests and benchmarks need: flite gives the reading check voices the
#: project does not use (held-out voices); strace watches a session's system calls (no
#: network, nothing of the child's voice on disk).
TEST_PACKAGES = {
    "flite": lambda: shutil.which("flite") is not None,
    "strace": lambda: shutil.which("strace") is not None,
}


def missing_packages(test: bool = False) -> list[str]:
    wanted = {**SYSTEM_PACKAGES, **(TEST_PACKAGES if test else {})}
    return [name for name, present in wanted.items() if not present()]


def install_system_packages(test: bool = False) -> int:
    """Install what is missing with apt-get (as root or through sudo). Returns an exit code."""
    missing = missing_packages(test)
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
        print(f"Could not install {' '.join(missing)} ({exc}); audio devices will be unavailable.")
        return 0
    return 0
