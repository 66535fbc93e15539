"""Configuration: environment overrides, generated development secrets, fail-fast production checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import ConfigError, create_app
from credentials.sealing import new_master_key


def test_development_generates_secrets_once(tmp_path: Path) -> None:
    a = create_app({"INSTANCE_PATH": str(tmp_path), "CHECKPOINT_THREAD": False})
    secrets_file = tmp_path / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    b = create_app({"INSTANCE_PATH": str(tmp_path), "CHECKPOINT_THREAD": False})
    assert a.config["MASTER_KEY"] == b.config["MASTER_KEY"] == json.loads(secrets_file.read_text())["MASTER_KEY"]
    assert a.config["DATABASE_URL"].startswith("sqlite:///") and str(tmp_path) in a.config["DATABASE_URL"]


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CREDITBANK_LOG_ORIGIN", "bank.example.cn/ledger")
    monkeypatch.setenv("CREDITBANK_CHECKPOINT_INTERVAL", "2.5")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "CHECKPOINT_THREAD": False})
    assert app.config["LOG_ORIGIN"] == "bank.example.cn/ledger"
    assert app.config["CHECKPOINT_INTERVAL"] == 2.5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"MASTER_KEY": None}, "MASTER_KEY is required"),
        ({"SECRET_KEY": "dev"}, "SECRET_KEY must be set"),
        ({"PUBLIC_URL": "http://bank.example"}, "https://"),
        ({"DEMO": True}, "demo data"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "shared storage"),
        ({"MASTER_KEY": "too-short"}, "unusable"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path: Path, override: dict[str, object], message: str) -> None:
    config = {
        "ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 64,
        "MASTER_KEY": new_master_key(), "PUBLIC_URL": "https://bank.example.cn",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "CHECKPOINT_THREAD": False,
    }
    config.update(override)
    with pytest.raises(ConfigError, match=message):
        create_app(config)


def test_production_with_safe_settings_starts(tmp_path: Path) -> None:
    app = create_app({
        "ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 64,
        "MASTER_KEY": new_master_key(), "PUBLIC_URL": "https://bank.example.cn",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "CHECKPOINT_THREAD": False,
    })
    assert not (tmp_path / "secrets.json").exists(), "production never writes generated secrets"
    assert app.config["SESSION_COOKIE_SECURE"] is True
