"""The package as a user installs it: pyproject.toml agrees with requirements.txt and the source
tree, and `pip install .` gives an `emotion` command whose subcommands run from anywhere, with
the shipped models inside the installed package."""

import re
import subprocess
import sys
import tomllib

import pytest

from emotion.cli import COMMANDS
from helpers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirement_lines(path):
    return [line.split("#")[0].strip() for line in path.read_text().splitlines()
            if line.split("#")[0].strip() and not line.startswith("-r")]


def test_dependencies_are_requirements_txt():
    assert PYPROJECT["project"]["dependencies"] == requirement_lines(ROOT / "requirements.txt")
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert extras["train"] == requirement_lines(ROOT / "requirements-train.txt")
    assert extras["ray"] == requirement_lines(ROOT / "requirements-ray.txt")
    assert set(extras["test"]) == {*extras["train"], *extras["ray"], *requirement_lines(ROOT / "requirements-test.txt")}


def test_every_package_folder_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("emotion", "batch") for p in (ROOT / top).rglob("__init__.py")}
    assert listed == found | {"emotion.models"}


@pytest.mark.slow
def test_pip_install_gives_a_working_emotion_command(tmp_path):
    """A fresh virtual environment that sees the already installed dependencies (so it works
    offline), the project installed into it from the source tree, run from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python, emotion = venv / "bin" / "python", venv / "bin" / "emotion"
    build = tmp_path / "src"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(build)], check=True)
    for path in subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.split():  # the working tree, as it is now
        if (ROOT / path).is_file():
            (build / path).parent.mkdir(parents=True, exist_ok=True)
            (build / path).write_bytes((ROOT / path).read_bytes())
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(build)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    where = subprocess.run([str(python), "-c", "import emotion, emotion.io.model_files as m; print(emotion.__file__); "
                            "print(m.DEFAULT_MODEL.exists())"], cwd=tmp_path, capture_output=True, text=True, check=True)
    location, has_model = where.stdout.split()
    assert location.startswith(str(venv)) and has_model == "True"
    for name in COMMANDS:
        helped = subprocess.run([str(emotion), name, "--help"], cwd=tmp_path, capture_output=True, text=True)
        assert helped.returncode == 0 and re.search(r"usage:", helped.stdout), (name, helped.stderr[-2000:])
    image = tmp_path / "astronaut.png"
    subprocess.run([str(python), "-c", f"import cv2; from skimage import data; cv2.imwrite({str(image)!r}, data.astronaut()[:, :, ::-1])"],
                   check=True)
    shown = subprocess.run([str(emotion), "visualize", str(image)], cwd=tmp_path, capture_output=True, text=True)
    assert shown.returncode == 0 and "face #1" in shown.stdout and (tmp_path / "astronaut.emotions.png").exists(), shown.stderr
