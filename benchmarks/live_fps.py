"""The live webcam tab's frame rate in a real Chromium with a fake camera playing a real face,
against a trivial Gradio app that streams the same camera back untouched (what transport alone
allows), side by side in one run.

    python benchmarks/live_fps.py [--seconds 30] [--runs 3] [--no-actions]

Chromium is Debian's (apt-get install -y chromium), driven by Playwright; the camera is a .y4m
clip of a real face (a frame of WolfgangLanger_Pexels.mp4 when the shared media are there, else
scikit-image's astronaut) at 640x480. The rate is what the app itself reports (frames processed
per second over its last 30 frames), read every second after a warm-up; medians.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
from results_io import write_results  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TRIVIAL_APP = r"""
import sys, time, collections
import gradio as gr
times = collections.deque(maxlen=30)
def echo(frame):
    times.append(time.monotonic())
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
    return frame, f"{fps:.1f} frames/s · 1 face(s)"
with gr.Blocks() as demo:
    cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", format="jpeg",
                   webcam_options=gr.WebcamOptions(constraints={"video": {"width": 640, "height": 480}}))
    out = gr.Image(type="numpy", format="jpeg")
    fps = gr.Textbox(elem_id="fps")
    cam.stream(echo, cam, [out, fps], stream_every=0.05, time_limit=600)
demo.launch(server_port=int(sys.argv[1]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_camera(folder: Path, media: Path) -> Path:
    from emotion.io.video import ffmpeg_exe, read_frames

    clip = media / "WolfgangLanger_Pexels.mp4"
    if clip.exists():
        face = next(f.rgb for f in read_frames(clip) if f.index == 100)
    else:
        from skimage import data

        face = data.astronaut()
    h, w = face.shape[:2]
    scale = min(640 / w, 480 / h)
    face = cv2.resize(face, (int(w * scale), int(h * scale)))
    canvas = np.full((480, 640, 3), 60, np.uint8)
    y, x = (480 - face.shape[0]) // 2, (640 - face.shape[1]) // 2
    canvas[y : y + face.shape[0], x : x + face.shape[1]] = face
    still = folder / "face.png"
    cv2.imwrite(str(still), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    y4m = folder / "face.y4m"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-loop", "1", "-i", str(still), "-t", "3", "-r", "30",
                    "-pix_fmt", "yuv420p", str(y4m)], check=True)
    return y4m


def measure(cmd: list[str], port: int, camera: Path, seconds: float) -> list[float]:
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline and "Running on local URL" not in (proc.stdout.readline() or ""):
            if proc.poll() is not None:
                raise RuntimeError("app exited early")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}"])
            page = browser.new_context(permissions=["camera"], viewport={"width": 1300, "height": 1000}).new_page()
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.get_by_text("Click to Access Webcam").click(timeout=60_000)
            page.get_by_text("Record", exact=True).first.click(timeout=60_000)
            box = page.locator("#fps textarea, #fps input").first
            readings, start = [], time.time()
            while time.time() - start < seconds + 10:
                match = re.match(r"([\d.]+) frames/s", box.input_value() or "")
                if match and time.time() - start > 10:  # after a 10 s warm-up
                    readings.append(float(match.group(1)))
                time.sleep(1.0)
            browser.close()
        return readings
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    ap.add_argument("--no-actions", action="store_true", help="measure the app with --no-actions too")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        camera = fake_camera(Path(tmp), args.media)
        script = Path(tmp) / "trivial.py"
        script.write_text(TRIVIAL_APP)
        variants = [("app.py (facial actions on, the default)", [])] + ([("app.py --no-actions", ["--no-actions"])]
                                                                        if args.no_actions else [])
        results = {name: [] for name, _ in variants} | {"trivial Gradio echo (transport alone)": []}
        for _ in range(args.runs):  # alternating, so load changes hit every variant alike
            for name, extra in variants:
                port = free_port()
                results[name].append(statistics.median(measure([sys.executable, "app.py", "--port", str(port), *extra],
                                                               port, camera, args.seconds)))
            port = free_port()
            results["trivial Gradio echo (transport alone)"].append(
                statistics.median(measure([sys.executable, str(script), str(port)], port, camera, args.seconds)))
            print(results, flush=True)
    for name, values in results.items():
        rows.append({"what": name, "median_fps": round(statistics.median(values), 1), "runs": [round(v, 1) for v in values]})
    lines = ["# Live webcam tab: frames per second in Chromium", "",
             f"Command: `python benchmarks/live_fps.py --seconds {args.seconds:g} --runs {args.runs}`. Debian's Chromium with a "
             f"fake 640x480 camera playing a real face; the rate the app reports, read every second after 10 s of warm-up; "
             f"median per run, median of {args.runs} alternating runs. Machine: {os.cpu_count()} CPU cores.", "",
             "| what | frames/s (median) | per run |", "|---|---:|---|"]
    lines += [f"| {r['what']} | {r['median_fps']:.1f} | {', '.join(f'{v:.1f}' for v in r['runs'])} |" for r in rows]
    write_results("live_fps", lines, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
