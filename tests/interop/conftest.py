"""Fixtures shared by interop tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .golang import GoToolchainError, build_gotlog


@pytest.fixture(scope="session")
def gotlog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled Go verifier; skips where Go or x/mod is missing, unless CREDITBANK_REQUIRE_INTEROP=1."""
    try:
        return build_gotlog(tmp_path_factory.mktemp("gotlog"))
    except GoToolchainError as exc:
        if "go build failed" in str(exc) or os.environ.get("CREDITBANK_REQUIRE_INTEROP") == "1":
            raise
        pytest.skip(str(exc))
