"""Study results: metadata joined, study.csv, per-video and run-level HTML reports that open from
disk with no network, in a real headless Chromium."""

from __future__ import annotations

import json
import shutil

import pytest

from emotion.labels import EMOTIONS, EVENT_KINDS
from helpers import ROOT, read_csv, run_batch
from videos import make_video

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"




@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Three short recordings (one in a sub-folder), one broken file, and a metadata file with a
    row for a video that does not exist; processed once."""
    root = tmp_path_factory.mktemp("study")
    folder = root / "recordings"
    (folder / "day2").mkdir(parents=True)
    make_video(folder / "s01.mp4", n=24, fps=12)
    make_video(folder / "s02.mp4", n=24, fps=12, move=False)
    make_video(folder / "day2" / "s03.mp4", n=24, fps=12)
    (folder / "s04.mp4").write_text("not a video")
    meta = root / "participants.csv"
    meta.write_text("video,participant,condition\ns01.mp4,P1,control\ns02.mp4,P2,treatment\nday2/s03.mp4,P3,treatment\n"
                    "s04.mp4,P4,control\ns99.mp4,P9,control\n")
    out = root / "results"
    proc = run_batch(folder, "--recursive", "--out", out, "--metadata", meta, "--no-video")
    return folder, meta, out, proc


def test_metadata_problems_stop_the_run_before_any_video(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    make_video(folder / "a.mp4", n=6, fps=6)
    cases = {"missing.csv": None, "no_video.csv": "name,condition\na.mp4,x\n", "twice.csv": "video,c\na.mp4,x\na.mp4,y\n"}
    expected = {"missing.csv": "no such metadata file", "no_video.csv": "no 'video' column", "twice.csv": "listed twice"}
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        out = tmp_path / f"out-{name}"
        proc = run_batch(folder, "--out", out, "--metadata", tmp_path / name)
        assert proc.returncode == 2, proc.stderr
        assert f"{name}" in proc.stderr and expected[name] in proc.stderr and "Traceback" not in proc.stderr
        assert not (out / "index.csv").exists()
    (tmp_path / "ok.csv").write_text("video,condition\na.mp4,x\n")
    proc = run_batch(folder, "--out", tmp_path / "o", "--metadata", tmp_path / "ok.csv", "--group-by", "site")
    assert proc.returncode == 2 and "--group-by site: no such column" in proc.stderr


def test_warnings_name_videos_without_rows_and_rows_without_videos(study):
    folder, meta, out, proc = study
    assert proc.returncode == 1  # the broken file failed; the others are complete
    assert "warning: metadata row for 's99.mp4': no such video among the inputs" in proc.stderr
    html = (out / "report.html").read_text()
    assert "s99.mp4" in html and "no such video among the inputs" in html


def test_study_csv_has_one_row_per_video_and_face_with_metadata_and_the_summaries_numbers(study):
    folder, meta, out, proc = study
    rows = read_csv(out / "study.csv")
    assert list(rows[0])[:8] == ["video", "input", "status", "participant", "condition", "face_id", "person_id", "duration_s"]
    for column in [f"share_{e}" for e in EMOTIONS] + [f"mean_p_{e}" for e in EMOTIONS] + \
            [f"events_per_min_{k}" for k in EVENT_KINDS] + ["mean_au12_lip_corner_pull", "mean_detector_confidence"]:
        assert column in rows[0], column
    assert [(r["video"], r["face_id"]) for r in rows] == [("day2/s03.mp4", "1"), ("s01.mp4", "1"), ("s02.mp4", "1")]
    assert {r["video"]: (r["participant"], r["condition"]) for r in rows} == {
        "s01.mp4": ("P1", "control"), "s02.mp4": ("P2", "treatment"), "day2/s03.mp4": ("P3", "treatment")}
    for r in rows:
        summary_path = out / r["video"].replace(".mp4", ".summary.json")
        face = json.loads(summary_path.read_text())["faces"][r["face_id"]]
        assert float(r["share_happy"]) == pytest.approx(face["share_of_time_by_emotion"]["happy"])
        assert float(r["mean_p_happy"]) == pytest.approx(face["mean_probabilities"]["happy"])
        assert int(r["face_frames"]) == face["frames_analysed"]
        assert sum(float(r[f"share_{e}"]) for e in EMOTIONS) == pytest.approx(1, abs=1e-3)


def test_a_failed_video_is_listed_with_its_reason_and_groups_are_compared(study):
    folder, meta, out, proc = study
    html = (out / "report.html").read_text()
    assert "s04.mp4" in html and "not a video" in html
    assert "Groups by condition" in html and "treatment" in html
    assert 'href="day2/s03.report.html"' in html and (out / "day2" / "s03.report.html").exists()
    video_html = (out / "s01.report.html").read_text()
    for text in ("Timeline", "Events", "Facial actions", "Quality checks", "python -m batch", "sha256",
                 "whole-frame detection on one analysed frame in 2"):
        assert text in video_html
    assert "http://" not in video_html and "https://" not in video_html and "<script" not in video_html


def test_a_rerun_rebuilds_the_run_level_outputs_from_every_summary(study, tmp_path):
    folder, meta, out, _ = study
    (out / "study.csv").unlink()
    (out / "report.html").unlink()
    changed = tmp_path / "participants.csv"
    changed.write_text(meta.read_text().replace("P1,control", "P1,waitlist"))
    proc = run_batch(folder, "--recursive", "--out", out, "--metadata", changed, "--no-video", "--group-by", "condition")
    assert "done 0, skipped 3, failed 1" in proc.stdout
    rows = read_csv(out / "study.csv")
    assert len(rows) == 3 and {r["status"] for r in rows} == {"skipped"}
    assert {r["video"]: r["condition"] for r in rows}["s01.mp4"] == "waitlist"
    assert "waitlist" in (out / "report.html").read_text()


@pytest.mark.skipif(not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM),
                    reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_reports_open_from_disk_offline_with_every_chart_rendered(study):
    from playwright.sync_api import sync_playwright

    folder, meta, out, _ = study
    docs = ROOT / "test-artifacts"
    docs.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        for name, shot in (("report.html", "study-report.png"), ("s01.report.html", "video-report.png")):
            page.goto((out / name).as_uri(), wait_until="load")
            images = page.locator("img")
            assert images.count() >= 2
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            assert all(w > 0 for w in widths), f"{name}: an image did not render: {widths}"
            page.screenshot(path=str(docs / shot), full_page=True)
        assert page.locator("#events img.thumb").count() >= 1 or "No events." in page.content()
        browser.close()
    assert all(u.startswith(("file://", "data:")) for u in requests), [u for u in requests if not u.startswith("file")]


def test_intervals_are_shown_within_the_range_a_measure_can_take():
    """A group of two gives a t-interval of a share that runs past 0% and 100%; the report shows
    it within the possible range (an action measure, unbounded, keeps its whole interval)."""
    from batch.study import _cell, mean_ci

    mean, half, n = mean_ci([0.0, 0.19])
    assert n == 2 and mean - half < 0 and mean + half > 1
    assert _cell(mean, half, percent=True, bounds=(0, 1)) == "9.5% [0.0, 100.0]"
    assert _cell(-0.01, 0.5, percent=False) == "-0.010 [-0.510, 0.490]"
