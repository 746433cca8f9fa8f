"""Virtualenvs of the bench under bench/.venvs/, each installed from its pinned requirements file.

A venv is (re)installed when its stamp does not match the requirements file, so editing a pin
takes effect on the next run. Failures raise InstallError with pip's last lines, which the
results record verbatim.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VENVS = BENCH / ".venvs"


class InstallError(RuntimeError):
    """A virtualenv could not be created or its requirements installed."""


def _base_python() -> str:
    # The interpreter that made the current venv (if any): a venv made from a venv's python works,
    # but one made from the base interpreter does not depend on another venv staying put.
    return getattr(sys, "_base_executable", None) or shutil.which("python3") or sys.executable


def ensure(name: str) -> Path:
    """The bin/ folder of venv `name`, installed from bench/requirements-NAME.txt if missing or stale."""
    req = BENCH / f"requirements-{name}.txt"
    venv = VENVS / name
    stamp = venv / ".bench-installed"
    digest = hashlib.sha256(req.read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return venv / "bin"
    print(f"bench: installing {req.name} into {venv} ...", file=sys.stderr, flush=True)
    for cmd in ([_base_python(), "-m", "venv", "--clear", str(venv)],
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "-r", str(req)]):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise InstallError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    stamp.write_text(digest)
    return venv / "bin"
