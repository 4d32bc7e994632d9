"""The previous release (the last line of RELEASES, ADR 47) and its code, read from git's history."""

import io
import os
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASES = ROOT / "RELEASES"


class NoHistory(Exception):
    """The previous release's commit is not in this checkout's git history (a copy without .git, a shallow clone)."""


def previous_release(releases: Path = RELEASES) -> str:
    """The commit of the last release recorded in RELEASES."""
    lines = [line.split() for line in releases.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    if not lines or len(lines[-1][0]) != 40:
        raise ValueError(f"{releases}: the last line must start with a release's full commit hash")
    return lines[-1][0]


def _git(*args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise NoHistory("git is not installed") from None
    if done.returncode != 0:
        raise NoHistory(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def files_at(commit: str, folder: str) -> set[str]:
    """The paths under `folder` in the release's tree."""
    _git("cat-file", "-e", f"{commit}^{{commit}}")
    return set(_git("ls-tree", "-r", "--name-only", commit, "--", folder).decode().split())


def extract(commit: str, destination: Path) -> Path:
    """The release's whole tree (`git archive`) unpacked into `destination`."""
    _git("cat-file", "-e", f"{commit}^{{commit}}")
    with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", commit))) as tar:
        tar.extractall(destination, filter="data")
    return destination


def history_required() -> bool:
    """CI runs on a clone with full history: a missing release is a failure there, not a skip."""
    return os.environ.get("CI") == "true"
