"""emotion.commands.visualize: one image's faces annotated next to their probabilities."""

import subprocess
import sys

from helpers import ROOT


def test_visualize_command_writes_a_chart(astronaut, tmp_path):
    import cv2

    image = tmp_path / "astronaut.jpg"
    cv2.imwrite(str(image), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    out = tmp_path / "chart.png"
    proc = subprocess.run([sys.executable, "-m", "emotion.commands.visualize", str(image), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "face #1" in proc.stdout and "happy" in proc.stdout
    chart = cv2.imread(str(out))
    assert chart is not None and chart.shape[1] > chart.shape[0]  # image beside the bars


def test_visualize_names_a_bad_file(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_text("nope")
    proc = subprocess.run([sys.executable, "-m", "emotion.commands.visualize", str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "x.png: not a readable image" in proc.stderr
