"""python -m batch --engine ray on a real local Ray instance (2 CPUs), against the local engine."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, run_batch
from videos import make_video

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-ray.txt)")



def index_rows(folder):
    with open(folder / "index.csv", newline="") as fh:
        return {os.path.basename(r["input"]): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ray-in")
    for i in range(3):
        make_video(folder / f"clip{i}.mp4", n=30, fps=15)
    return folder


def test_ray_gives_the_same_csvs_as_the_local_engine_and_reports_a_bad_file(folder, tmp_path):
    (folder / "broken.mp4").write_bytes(b"this is not a video")
    try:
        local = run_batch(folder, "--out", tmp_path / "local", "--no-video")
        ray = run_batch(folder, "--out", tmp_path / "ray", "--no-video", "--engine", "ray", "--workers", "2")
    finally:
        (folder / "broken.mp4").unlink()
    assert local.returncode == ray.returncode == 1, ray.stderr[-3000:]
    assert "done 3, skipped 0, failed 1" in ray.stdout
    rows = index_rows(tmp_path / "ray")
    assert rows["broken.mp4"]["status"] == "failed" and "broken.mp4" in rows["broken.mp4"]["reason"]
    for i in range(3):
        assert rows[f"clip{i}.mp4"]["status"] == "ok"
        for kind in ("timeline", "events"):
            ours = (tmp_path / "ray" / f"clip{i}.{kind}.csv").read_bytes()
            assert ours == (tmp_path / "local" / f"clip{i}.{kind}.csv").read_bytes(), f"clip{i}.{kind}.csv differs"
    # The run-level outputs are the same files too.
    assert (tmp_path / "ray" / "study.csv").read_bytes() == (tmp_path / "local" / "study.csv").read_bytes()
    assert "broken.mp4" in (tmp_path / "ray" / "report.html").read_text()
    # Resumable exactly like the local engine: a rerun skips what is complete.
    again = run_batch(folder, "--out", tmp_path / "ray", "--no-video", "--engine", "ray", "--workers", "2")
    assert "done 0, skipped 3, failed 0" in again.stdout


def test_a_killed_ray_worker_is_survived_with_nothing_lost(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        make_video(folder / f"long{i}.mp4", n=240, fps=15, audio=False)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "batch", str(folder), "--out", str(out), "--engine", "ray",
                             "--workers", "2", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.time() + 300
    while killed is None and time.time() < deadline and proc.poll() is None:
        # A worker's half-written outputs carry its process id: .NAME.PID.partial.ext
        for partial in out.glob(".*.partial.*") if out.exists() else []:
            match = re.match(r"\.(.+?)\.(\d+)\.partial", partial.name)
            if match and int(match.group(2)) != proc.pid:
                try:
                    os.kill(int(match.group(2)), signal.SIGKILL)
                    killed = match.group(1)
                except ProcessLookupError:
                    continue
                break
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed, "no Ray worker was seen writing (nothing to kill)"
    assert proc.returncode == 0, stderr[-3000:]
    assert "done 3, skipped 0, failed 0" in stdout
    rows = index_rows(out)
    for i in range(3):
        assert rows[f"long{i}.mp4"]["status"] == "ok"
        with open(out / f"long{i}.timeline.csv", newline="") as fh:
            assert len({r["frame"] for r in csv.DictReader(fh)}) == 240
        assert (out / f"long{i}.annotated.mp4").stat().st_size > 0
    assert not list(out.glob(".*.partial.*")), "half-written files left behind"
