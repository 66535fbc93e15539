"""Build and run tests/interop/gotlog, the Go reference verifier (x/mod sumdb/note + sumdb/tlog), offline.

Go 1.19 from Debian with ``golang-golang-x-mod-dev`` builds it in GOPATH mode (``GO111MODULE=off``,
GOPATH = /usr/share/gocode); no module proxy, no network. Set CREDITBANK_GOPATH to use another tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parent / "gotlog" / "main.go"
DEFAULT_GOPATH = "/usr/share/gocode"
_XMOD_PACKAGES = ("golang.org/x/mod/sumdb/note", "golang.org/x/mod/sumdb/tlog")


class GoToolchainError(RuntimeError):
    """Go or the x/mod sources are missing, or gotlog does not compile."""


def _go_env(gopath: str, cache: Path) -> dict[str, str]:
    """Environment for an offline GOPATH-mode build that cannot reach a module proxy."""
    env = {k: v for k, v in os.environ.items() if k not in {"GOFLAGS", "GOROOT_FINAL"}}
    env.update(
        GO111MODULE="off",
        GOPATH=gopath,
        GOCACHE=str(cache),
        GOPROXY="off",
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",  # pure Go: no C compiler needed
    )
    return env


def build_gotlog(dest_dir: Path) -> Path:
    """Compile gotlog into ``dest_dir`` and return the binary; GoToolchainError with the reason otherwise."""
    go = shutil.which("go")
    if go is None:
        raise GoToolchainError("`go` is not on PATH (Debian: apt-get install golang-go)")
    gopath = os.environ.get("CREDITBANK_GOPATH", DEFAULT_GOPATH)
    for package in _XMOD_PACKAGES:
        if not (Path(gopath) / "src" / package).is_dir():
            raise GoToolchainError(
                f"{package} not found under {gopath}/src (Debian: apt-get install golang-golang-x-mod-dev, "
                "or set CREDITBANK_GOPATH)"
            )
    dest_dir.mkdir(parents=True, exist_ok=True)
    binary = dest_dir / "gotlog"
    proc = subprocess.run(
        [go, "build", "-o", str(binary), str(SOURCE)],
        cwd=SOURCE.parent,
        env=_go_env(gopath, dest_dir / "gocache"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise GoToolchainError(f"go build failed ({proc.returncode}):\n{proc.stderr}")
    return binary


@dataclass(frozen=True)
class GotlogRun:
    """The outcome of one gotlog run: exit code and one parsed JSON object per check."""

    returncode: int
    results: list[dict[str, Any]]
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit code 0 and every check passed."""
        return self.returncode == 0 and bool(self.results) and all(r["ok"] for r in self.results)

    def of(self, check: str) -> list[dict[str, Any]]:
        """Results of one kind of check (``checkpoint``, ``inclusion``, ``consistency``, ...)."""
        return [r for r in self.results if r["check"] == check]


def run_gotlog(
    binary: Path,
    vkey: str,
    checkpoint: Path,
    *,
    inclusions: Iterable[Path] = (),
    consistencies: Iterable[Path] = (),
    old_checkpoint: Path | None = None,
    timeout: float = 120,
) -> GotlogRun:
    """Run gotlog on files in the API's shapes; never raises on a failed check, only reports it."""
    args = [str(binary), "-vkey", vkey.strip(), "-checkpoint", str(checkpoint)]
    for path in inclusions:
        args += ["-inclusion", str(path)]
    for path in consistencies:
        args += ["-consistency", str(path)]
    if old_checkpoint is not None:
        args += ["-old-checkpoint", str(old_checkpoint)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return GotlogRun(proc.returncode, results, proc.stderr)
