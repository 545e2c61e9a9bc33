"""The deployment files: a slim non-root image from the lock, compose with two bots on PostgreSQL."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def runtime_lock() -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "runtime-requirements.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def pinned(text: str) -> dict[str, str]:
    return {
        re.sub(r"[-_.]+", "-", m.group(1)).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)
    }


def test_the_image_gets_every_runtime_package_at_the_locked_version_and_no_dev_tool() -> None:
    lock = pinned((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    runtime = pinned(runtime_lock())
    assert runtime and all(lock[name] == version for name, version in runtime.items())
    for tool in ("pytest", "ruff", "mypy", "playwright", "hypothesis", "uv", "import-linter"):
        assert tool not in runtime
    # Closed under dependencies: what each runtime package requires (on this platform, without
    # extras) is in the set, so `pip install --require-hashes` has nothing to guess.
    missing = set()
    for name in runtime:
        for spec in importlib.metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            dep = re.sub(r"[-_.]+", "-", req.name).lower()
            if dep not in runtime:
                missing.add(f"{name} -> {dep}")
    assert missing == set()
    for spec in importlib.metadata.requires("cohortbot") or []:
        req = Requirement(spec)
        if req.marker is None:
            assert re.sub(r"[-_.]+", "-", req.name).lower() in runtime


def test_the_image_is_slim_runs_as_non_root_and_installs_from_the_lock() -> None:
    # Every stage is the base image argument, whose default is Docker Hub's slim Python.
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", DOCKERFILE, re.M)
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert stages and all(s == "${PYTHON_IMAGE}" for s in stages)
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    user = re.findall(r"^USER (\S+)", final, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "requirements.lock" in DOCKERFILE and "--require-hashes" in DOCKERFILE
    assert "HEALTHCHECK" in final and "/healthz" in final


def test_compose_runs_migrations_once_then_two_bots_on_postgresql() -> None:
    services = COMPOSE["services"]
    assert services["db"]["image"].startswith("postgres:")
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    bots = [s for name, s in services.items() if name.startswith("bot")]
    assert len(bots) == 2
    for bot in bots:
        env = bot["environment"]
        assert env["COHORTBOT_SLACK_RATE_SCALE"] == "0.5"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "command" not in bot or bot["command"] == ["run"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert "volumes" in COMPOSE and services["db"]["volumes"]
