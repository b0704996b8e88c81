"""A real headless Chromium on the live webcam tab, with a fake camera playing a real face."""

import re
import shutil
import subprocess
import time

import cv2
import pytest

from app_server import running_app
from helpers import ROOT
from emotion.io.video import ffmpeg_exe
from videos import make_video

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (apt-get install -y chromium)")]


@pytest.fixture(scope="module")
def fake_camera(astronaut, tmp_path_factory):
    """A .y4m clip of the astronaut portrait for Chromium's fake capture device."""
    folder = tmp_path_factory.mktemp("cam")
    still = folder / "face.png"
    canvas = cv2.copyMakeBorder(cv2.resize(astronaut, (360, 360)), 60, 60, 140, 140, cv2.BORDER_CONSTANT, value=(80, 80, 80))
    cv2.imwrite(str(still), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    y4m = folder / "face.y4m"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-loop", "1", "-i", str(still), "-t", "2", "-r", "15",
                    "-pix_fmt", "yuv420p", str(y4m)], check=True)
    return y4m


def launch(p, camera):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}"])


def wait_for_frames_per_second(page, quiet_s: float = 90, cap_s: float = 600) -> float:
    """The first frames/s readout above zero with a face. Waits as long as the stream shows
    progress (the readout or the annotated picture changes), so a busy machine is not mistaken
    for a broken app; fails after `quiet_s` without any change (or `cap_s` in all)."""
    fps_box = page.locator("#fps textarea, #fps input").first
    started = last_change = time.time()
    seen = None
    while time.time() - last_change < quiet_s and time.time() - started < cap_s:
        text = fps_box.input_value() or ""
        picture = page.locator("#live-annotated img").first.get_attribute("src") if page.locator("#live-annotated img").count() else None
        if (text, picture) != seen:
            seen, last_change = (text, picture), time.time()
        match = re.match(r"([\d.]+) frames/s · (\d+) face", text)
        if match and float(match.group(1)) > 0 and int(match.group(2)) >= 1:
            return float(match.group(1))
        time.sleep(0.5)
    return 0.0


def test_live_webcam_tab_streams_annotated_frames(fake_camera, tmp_path):
    from playwright.sync_api import sync_playwright

    clip = make_video(tmp_path / "interview.mp4", n=45, fps=15)
    ARTIFACTS.mkdir(exist_ok=True)
    with running_app() as (url, output, proc), sync_playwright() as p:
        browser = launch(p, fake_camera)
        page = browser.new_context(permissions=["camera"], viewport={"width": 1300, "height": 1000}).new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_text("Click to Access Webcam").click(timeout=60_000)
        page.get_by_text("Record", exact=True).first.click(timeout=60_000)
        fps = wait_for_frames_per_second(page)
        assert fps > 0, "no frames/s readout above zero with a face"
        # After the 2 s calibration the facial-action table fills with measurements.
        page.locator("#live-actions").get_by_text("au12_lip_corner_pull").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "webcam-tab.png"), full_page=True)
        assert page.locator("#live-annotated img").count() >= 1
        label = page.locator(".output-class, [data-testid='label-output-value']").first.inner_text(timeout=10_000)
        assert any(e in label.lower() for e in ("happy", "neutral", "sad", "surprise", "angry", "fear", "disgust"))
        # The image tab: load the bundled astronaut example, analyse it, wait for the JSON result.
        page.get_by_role("tab", name="Image").click()
        page.locator(".gallery-item, button.gallery").first.click(timeout=30_000)
        time.sleep(1)
        page.get_by_role("button", name="Analyse", exact=True).click(timeout=30_000)
        page.locator("#image-json").get_by_text("happy").first.wait_for(timeout=90_000)
        page.screenshot(path=str(ARTIFACTS / "image-tab.png"))
        # The video tab: upload a clip made from the portrait, analyse it, wait for the results.
        page.get_by_role("tab", name="Video").click()
        page.locator("#video-input input[type=file]").set_input_files(str(clip))
        time.sleep(2)
        page.get_by_role("button", name="Analyse video").click(timeout=30_000)
        page.locator("#video-events").get_by_text("episode").or_(page.locator("#video-events").get_by_text("micro")) \
            .or_(page.get_by_text("dominant_emotion")).first.wait_for(timeout=180_000)
        page.get_by_text("dominant_emotion").first.wait_for(timeout=60_000)
        # The report to download (Gradio shows a file's stem and extension in separate elements).
        page.locator("#video-files").get_by_text("interview.report").first.wait_for(timeout=60_000)
        time.sleep(2)
        page.screenshot(path=str(ARTIFACTS / "video-tab.png"), full_page=True)
        assert page.locator("video").count() >= 1
        browser.close()
