"""What the HTTP benchmarks share: a free loopback port, gunicorn serving an instance, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-quantile of seconds, in milliseconds (nearest rank below)."""
    return round(sorted(values)[int(q * (len(values) - 1))] * 1000, 2)


@contextmanager
def gunicorn(instance: Path, *, workers: int = 1, env: dict[str, str] | None = None,
             timeout: int = 30) -> Iterator[int]:
    """Serve `app:create_app()` for `instance` with `workers` sync workers; yields the port once it answers.

    Rate limits are off unless `env` says otherwise. On an error the tail of the server's log is printed.
    """
    port = free_port()
    full_env = {**os.environ, "CREDITBANK_INSTANCE_PATH": str(instance), "CREDITBANK_RATELIMIT_ENABLED": "false",
                **(env or {})}
    log = instance / "server.log"
    with open(log, "wb") as err:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", str(max(timeout, 30)), "app:create_app()"],
            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 60 s") from None
                time.sleep(0.1)
        yield port
    except BaseException:
        sys.stderr.write(log.read_text(errors="replace")[-6000:])
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
