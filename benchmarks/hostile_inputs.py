"""What a stranger holding the app's link can make it do: hostile inputs sent over raw HTTP to a
real `python app.py`, each with the answer, the time it took and the server's memory growth.

    python benchmarks/hostile_inputs.py [--app-root PATH] [--name hostile_inputs]

`--app-root`: the checkout whose app.py is started (another worktree, to measure a version
before a change side by side). Memory: the peak resident size of the server's process tree
during the request, above what it used just before. Writes benchmarks/results/NAME.{md,json}.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


from hostile import GradioHTTP, make_inputs  # noqa: E402  (benchmarks/ is the script folder)
from results_io import write_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total / 1024


class Server:
    def __init__(self, root: Path, *args: str):
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port), *args], cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[str] = []
        deadline = time.time() + 180
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            self.lines.append(line)
            if "Running on local URL" in line:
                break
        self.work = Path(re.search(r"temporary files: (\S+)", "".join(self.lines)).group(1))
        threading.Thread(target=lambda: [self.lines.append(x) for x in self.proc.stdout], daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def measure(self, fn):
        """(what fn returned, peak memory growth in MB while it ran)."""
        base, peak, done = tree_rss_mb(self.proc.pid), [0.0], threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss_mb(self.proc.pid))
                time.sleep(0.05)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        try:
            out = fn()
        finally:
            done.set()
            t.join()
        return out, max(peak[0] - base, 0.0)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def short(value, limit: int = 110) -> str:
    text = str(value).replace("\n", " ").replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarise(answer) -> str:
    """One line a reader can compare: refused with what message, or what came back."""
    if not answer.ok:
        return "refused: " + ("(no message)" if answer.value is None else short(answer.value))
    outputs = answer.value if isinstance(answer.value, list) else [answer.value]
    faces = next((o for o in outputs if isinstance(o, list) and all(isinstance(f, dict) and "emotion" in f for f in o)), None)
    if faces is not None:
        return "analysed: " + (", ".join(f"{f['emotion']} {f['confidence']:.2f}" for f in faces) or "no face")
    summary = next((o for o in outputs if isinstance(o, dict) and "frames_analysed" in o), None)
    if summary is not None:
        return f"video analysed: {summary['frames_analysed']} frames"
    return "answered: " + short(outputs, 60)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app-root", type=Path, default=ROOT)
    ap.add_argument("--name", default="hostile_inputs")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    inputs = make_inputs(folder)
    server = Server(args.app_root.resolve(), "--max-file-size", "50mb")
    http = GradioHTTP(server.url)
    secret = str(inputs["secret"])
    uploads = server.work / "uploads"
    link = uploads / "planted" / "link.png"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(inputs["secret"])
    meta = {"_type": "gradio.FileData"}
    rel = os.path.relpath(secret, args.app_root.resolve())
    clip = http.upload(inputs["clip"])
    cases = [
        ("server file, no `meta`, /analyze_image", lambda: http.call("analyze_image", {"path": secret})),
        ("server file, no `meta`, /image (the Image tab's endpoint)", lambda: http.call("image", {"path": secret})),
        ("missing path, no `meta`", lambda: http.call("analyze_image", {"path": "/no/such/photo.png"})),
        ("a folder, no `meta`", lambda: http.call("analyze_image", {"path": "/etc"})),
        ("a text file, no `meta`", lambda: http.call("analyze_image", {"path": "/etc/hostname"})),
        ("relative path with `..`, no `meta`", lambda: http.call("analyze_image", {"path": rel})),
        ("`file=` URL as the path", lambda: http.call("analyze_image", {"path": f"/gradio_api/file={secret}"})),
        ("http URL to the server itself", lambda: http.call("analyze_image", {"path": None, "url": server.url + f"gradio_api/file={secret}"})),
        ("server file, with `meta`", lambda: http.call("analyze_image", {"path": secret, "meta": meta})),
        ("symlink planted in the upload folder", lambda: http.call("analyze_image", {"path": str(link), "meta": meta})),
        ("server video, no `meta`, /analyze_video", lambda: http.call("analyze_video", {"path": str(inputs["clip"])}, 1)),
        ("13000 x 13000 PNG (upload), /analyze_image", lambda: http.call("analyze_image", http.upload(inputs["bomb"]))),
        ("13000 x 13000 PNG (upload), /image", lambda: http.call("image", http.upload(inputs["bomb"]))),
        ("10000 x 10000 video frame (upload)", lambda: http.call("analyze_video", http.upload(inputs["huge_video"]), 1)),
        ("EXIF orientation 6 photo, /analyze_image", lambda: http.call("analyze_image", http.upload(inputs["exif"]))),
        ("EXIF orientation 6 photo, /image", lambda: http.call("image", http.upload(inputs["exif"]))),
        ("16-bit PNG", lambda: http.call("analyze_image", http.upload(inputs["png16"]))),
        ("CMYK JPEG", lambda: http.call("analyze_image", http.upload(inputs["cmyk"]))),
        ("palette PNG", lambda: http.call("analyze_image", http.upload(inputs["palette"]))),
        ("PNG with alpha", lambda: http.call("analyze_image", http.upload(inputs["rgba"]))),
        ("animated GIF", lambda: http.call("analyze_image", http.upload(inputs["gif"]))),
        ("stride \"2\" (text)", lambda: http.call("analyze_video", clip, "2")),
        ("stride \"abc\"", lambda: http.call("analyze_video", clip, "abc")),
        ("stride 1e30", lambda: http.call("analyze_video", clip, 1e30)),
        ("stride 2.5", lambda: http.call("analyze_video", clip, 2.5)),
        ("stride 0", lambda: http.call("analyze_video", clip, 0)),
    ]
    rows = []
    for name, fn in cases:
        answer, grew = server.measure(fn)
        rows.append({"input": name, "answer": summarise(answer), "seconds": round(answer.seconds, 2), "memory_mb": round(grew)})
        print(f"{name}: {rows[-1]['answer']} ({answer.seconds:.2f} s, +{grew:.0f} MB)", flush=True)

    def two_bombs_and_a_face():
        with ThreadPoolExecutor(3) as pool:
            bombs = [pool.submit(http.call, "analyze_image", http.upload(inputs["bomb"])) for _ in range(2)]
            time.sleep(0.5)
            face = pool.submit(http.call, "analyze_image", http.upload(inputs["face"])).result()
            return face, [b.result() for b in bombs]

    (face, bombs), grew = server.measure(two_bombs_and_a_face)
    rows.append({"input": "two 13000 x 13000 PNGs at once, then a normal photo", "answer": "photo " + summarise(face) +
                 f"; PNGs: {summarise(bombs[0])}", "seconds": round(face.seconds, 2), "memory_mb": round(grew),
                 "png_seconds": [round(b.seconds, 2) for b in bombs]})
    print(rows[-1], flush=True)
    normal, grew = server.measure(lambda: http.call("analyze_image", http.upload(inputs["face"])))
    rows.append({"input": "a normal photo, afterwards", "answer": summarise(normal), "seconds": round(normal.seconds, 2),
                 "memory_mb": round(grew)})
    server.stop()
    start = next(i for i, line in enumerate(server.lines) if "Running on local URL" in line)
    start_lines = [line.strip() for line in server.lines[: start + 3] if line.strip() and "Traceback" not in line]
    lines = [f"# Hostile inputs against `python app.py` ({args.name})", "",
             f"Command: `python benchmarks/hostile_inputs.py --app-root {args.app_root} --name {args.name}`: raw HTTP "
             "(no gradio_client), one request at a time unless stated; seconds from the request to the answer; "
             "memory: peak growth of the server's process tree during the request.", "",
             "| hostile input | answer | s | server memory, MB |", "|---|---|---:|---:|"]
    lines += [f"| {r['input']} | {r['answer']} | {r['seconds']:.2f} | +{r['memory_mb']} |" for r in rows]
    lines += ["", "The server's first lines at start:", "", "```", *start_lines, "```"]
    write_results(args.name, lines, {"rows": rows, "start": start_lines})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
