"""Drive the offline Node.js verifiers in tests/interop/node (Digital Bazaar, DCC verifier-core).

One-shot: ``verify([credential], verifier="digitalbazaar", status_lists={...})``.
Warm: ``with NodeVerifier() as nv: nv.verify(...)`` starts ``node verify.mjs --server`` once and sends
one JSON job per line. Option names may be given in Python style (``proof_only``, ``status_lists``) or
as in the job format (``proofOnly``, ``statusLists``); see tests/interop/node/README.md.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "verify.mjs"
VERIFIERS = ("digitalbazaar", "dcc")
MIN_NODE_MAJOR = 18

_OPTION_NAMES = {
    "proof_only": "proofOnly",
    "status_lists": "statusLists",
    "proofOnly": "proofOnly",
    "statusLists": "statusLists",
    "contexts": "contexts",
    "controllers": "controllers",
    "now": "now",
    "repeat": "repeat",
}

_install_lock = threading.Lock()


class NodeVerifierError(RuntimeError):
    """The Node verifier could not be installed, started, or answered a job with an error."""


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise NodeVerifierError(
            f"`{tool}` not found on PATH: the interop tests need Node.js >= {MIN_NODE_MAJOR} and npm "
            "(deselect them with -m 'not interop')"
        )
    return path


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.strip().lstrip("v").split(".")[0])


def _installed() -> bool:
    # npm writes node_modules/.package-lock.json at the end of a successful install
    return (NODE_DIR / "node_modules" / ".package-lock.json").is_file()


def ensure_installed(timeout: float = 600) -> None:
    """Install the pinned verifier packages (``npm ci``) unless node_modules is already there."""
    node = _require("node")
    if _node_major(node) < MIN_NODE_MAJOR:
        raise NodeVerifierError(f"Node.js >= {MIN_NODE_MAJOR} required, found {_node_major(node)}")
    if _installed():
        return
    npm = _require("npm")
    # a file lock, so that parallel test processes do not run `npm ci` on top of each other
    lock_path = (
        Path(tempfile.gettempdir())
        / f"creditbank-npm-ci-{hashlib.sha256(bytes(NODE_DIR)).hexdigest()[:16]}.lock"
    )
    with _install_lock, open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0 or not _installed():
            raise NodeVerifierError(
                f"`npm ci` failed in {NODE_DIR} (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
            )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("`now` must be timezone-aware")
        return value.isoformat()
    return value


def make_job(
    credentials: Iterable[Mapping[str, Any]], verifier: str = "digitalbazaar", **options: Any
) -> dict[str, Any]:
    """Build a job object (the format verify.mjs reads) from Python-style arguments."""
    if verifier not in VERIFIERS:
        raise ValueError(f"verifier must be one of {VERIFIERS}, not {verifier!r}")
    opts: dict[str, Any] = {}
    for key, value in options.items():
        if key not in _OPTION_NAMES:
            raise TypeError(f"unknown verifier option {key!r}")
        if value is not None:
            opts[_OPTION_NAMES[key]] = _jsonable(value)
    return {"verifier": verifier, "credentials": list(credentials), "options": opts}


def _check_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    if "error" in answer:
        raise NodeVerifierError(f"verifier rejected the job: {answer['error']}")
    return dict(answer)


def run_job(job: Mapping[str, Any], timeout: float = 120) -> dict[str, Any]:
    """Run one job in a fresh node process; return the whole answer (results and timing)."""
    ensure_installed()
    proc = subprocess.run(
        [_require("node"), str(SCRIPT), "-"],
        cwd=NODE_DIR,
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise NodeVerifierError(
            f"verify.mjs printed nothing (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    return _check_answer(json.loads(lines[-1]))


def verify(
    credentials: Iterable[Mapping[str, Any]], verifier: str = "digitalbazaar", **options: Any
) -> list[dict[str, Any]]:
    """Verify credentials in a one-shot node process; one result dict per credential."""
    return run_job(make_job(credentials, verifier, **options))["results"]


class NodeVerifier:
    """A warm ``verify.mjs --server`` process; use as a context manager. Thread-safe, one job at a time."""

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._lock = threading.Lock()
        self._next_id = 0

    def start(self) -> NodeVerifier:
        """Install if needed and start the server process."""
        if self._proc is not None:
            return self
        ensure_installed()
        self._proc = subprocess.Popen(
            [_require("node"), str(SCRIPT), "--server"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        return self

    def _pump_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF

    def _pump_stderr(self) -> None:
        # drained continuously: verifier-core logs a stack trace per failed schema fetch
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def stderr_tail(self) -> str:
        """The last lines node wrote to stderr (for error messages)."""
        return "\n".join(self._stderr)

    def close(self) -> None:
        """Stop the server process."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> NodeVerifier:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, job: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one job; return the whole answer (results and timing)."""
        with self._lock:
            if self._proc is None:
                self.start()
            assert self._proc is not None and self._proc.stdin is not None
            self._next_id += 1
            job_id = self._next_id
            try:
                self._proc.stdin.write(json.dumps({**job, "id": job_id}) + "\n")
                self._proc.stdin.flush()
            except OSError as exc:
                raise NodeVerifierError(f"verifier process died:\n{self.stderr_tail()}") from exc
            try:
                line = self._lines.get(timeout=timeout or self.timeout)
            except queue.Empty:
                self.close()
                raise NodeVerifierError(
                    f"no answer within {timeout or self.timeout}s; process stopped"
                ) from None
            if line is None:
                code = self._proc.wait()
                self._proc = None
                raise NodeVerifierError(f"verifier process exited ({code}):\n{self.stderr_tail()}")
            answer = json.loads(line)
            if answer.get("id") != job_id:
                raise NodeVerifierError(f"answer for job {answer.get('id')!r}, expected {job_id}")
            answer.pop("id")
            return _check_answer(answer)

    def verify(
        self, credentials: Iterable[Mapping[str, Any]], verifier: str = "digitalbazaar", **options: Any
    ) -> list[dict[str, Any]]:
        """Verify credentials in the warm process; one result dict per credential."""
        return self.run(make_job(credentials, verifier, **options))["results"]


__all__ = [
    "NODE_DIR",
    "NodeVerifier",
    "NodeVerifierError",
    "ensure_installed",
    "make_job",
    "run_job",
    "verify",
]
