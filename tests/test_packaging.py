"""The package as a user installs it: pyproject.toml agrees with requirements.txt and the source
tree, and `pip install .` gives an `emotion` command whose subcommands run from anywhere, with
the shipped models inside the installed package."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

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
    assert extras["test"] == requirement_lines(ROOT / "requirements-test.txt")
    # The README's test command installs the test tools, not PyTorch (a CUDA build of several GB
    # where PyPI's wheel is taken) or Ray: their tests skip without them.
    assert not any(r.startswith(("torch", "ray")) for r in extras["test"])


def test_the_supported_pythons_are_declared_everywhere():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11,<3.14"
    assert {c.rsplit(" ", 1)[-1] for c in project["classifiers"] if c.startswith("Programming Language :: Python :: 3.")} \
        == {"3.11", "3.12", "3.13"}
    assert "Python 3.11 to 3.13" in (ROOT / "README.md").read_text()


def test_every_package_folder_is_listed():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for top in ("emotion", "batch") for p in (ROOT / top).rglob("__init__.py")}
    assert listed == found | {"emotion.models"}


def environment_venv(venv) -> None:
    """A new virtual environment at `venv` that sees the packages of the environment running the
    tests (a .pth file naming its site-packages), so that installing into it needs nothing from
    the network. (`venv --system-site-packages` would show the base Python's packages, not a
    virtual environment's: from inside a plain venv the install found an old setuptools that
    cannot build a wheel.) It has no pip of its own: the running environment's pip, setuptools
    and wheel are the ones found."""
    import site
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    inner = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    outer = [p for p in dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])]
    (Path(inner) / "running-environment.pth").write_text("\n".join(outer) + "\n")


@pytest.mark.slow
def test_pip_install_gives_a_working_emotion_command(tmp_path):
    """A fresh virtual environment that sees the already installed dependencies (so it works
    offline), the project installed into it from the source tree, run from elsewhere."""
    venv = tmp_path / "venv"
    environment_venv(venv)
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
    for name in COMMANDS:  # every --help works without PyTorch (the README's test command installs none)
        helped = subprocess.run([str(emotion), name, "--help"], cwd=tmp_path, capture_output=True, text=True)
        assert helped.returncode == 0 and re.search(r"usage:", helped.stdout), (name, helped.stderr[-2000:])
    image = tmp_path / "astronaut.png"
    subprocess.run([str(python), "-c", f"import cv2; from skimage import data; cv2.imwrite({str(image)!r}, data.astronaut()[:, :, ::-1])"],
                   check=True)
    shown = subprocess.run([str(emotion), "visualize", str(image)], cwd=tmp_path, capture_output=True, text=True)
    assert shown.returncode == 0 and "face #1" in shown.stdout and (tmp_path / "astronaut.emotions.png").exists(), shown.stderr
