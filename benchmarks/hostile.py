"""What a stranger holding the app's link sends, for tests/test_hostile_inputs.py and
benchmarks/hostile_inputs.py: the inputs (`make_inputs`: a decompression bomb, a sideways phone
photo, odd image modes, a video of huge frames, ...) and raw HTTP to send them (`GradioHTTP`:
no gradio_client in between, which uploads local files by itself and so hides what a server
accepts).

Gradio 6's REST protocol: POST /gradio_api/call/NAME {"data": [...]} returns an event id; GET
/gradio_api/call/NAME/EVENT streams server-sent events ending in `complete` (data: the outputs)
or `error` (data: {"error": message or null}). Uploads: POST /gradio_api/upload (multipart
`files`) returns the server paths to send back as {"path": ..., "meta": {"_type": "gradio.FileData"}}.
"""

from __future__ import annotations

import http.cookiejar
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Answer:
    ok: bool
    value: object  # the outputs (ok) or the error message (None when the server hides it)
    seconds: float
    status: int = 200  # HTTP status of the call itself (413 for an upload over the size limit, ...)


class GradioHTTP:
    def __init__(self, base: str, auth: tuple[str, str] | None = None):
        self.base = base.rstrip("/") + "/"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        if auth:
            data = urllib.parse.urlencode({"username": auth[0], "password": auth[1]}).encode()
            self.opener.open(self.base + "login", data, timeout=30).read()

    def upload(self, path: Path, name: str | None = None) -> dict:
        """Upload a file as the browser does; returns the payload that refers to it."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name or path.name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + Path(path).read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.base + "gradio_api/upload", body,
                                     {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        server_path = json.loads(self.opener.open(req, timeout=120).read())[0]
        return {"path": server_path, "orig_name": name or path.name, "meta": {"_type": "gradio.FileData"}}

    def call(self, api: str, *data, timeout: float = 600) -> Answer:
        started = time.perf_counter()
        req = urllib.request.Request(self.base + f"gradio_api/call/{api}", json.dumps({"data": list(data)}).encode(),
                                     {"Content-Type": "application/json"})
        try:
            event = json.loads(self.opener.open(req, timeout=timeout).read())["event_id"]
        except urllib.error.HTTPError as exc:
            return Answer(False, exc.read().decode(errors="replace"), time.perf_counter() - started, exc.code)
        kind, payload = None, None
        with self.opener.open(self.base + f"gradio_api/call/{api}/{event}", timeout=timeout) as stream:
            for raw in stream:  # server-sent events; a streaming endpoint (the webcam) sends `generating` and stays open
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line[len("event: "):].strip()
                elif line.startswith("data: ") and kind in ("complete", "error", "generating"):
                    payload = json.loads(line[len("data: "):])
                    break
        seconds = time.perf_counter() - started
        if kind in ("complete", "generating"):
            return Answer(True, payload, seconds)
        message = payload.get("error") if isinstance(payload, dict) else payload
        return Answer(False, message, seconds)


def make_inputs(folder: Path) -> dict[str, Path]:
    """Every hostile and awkward input, written into `folder`: {short name: path}."""
    from PIL import Image
    from skimage import data

    astronaut = data.astronaut()
    out = {}
    out["face"] = folder / "face.png"
    cv2.imwrite(str(out["face"]), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    out["secret"] = folder / "secret.png"  # a server-side image nobody uploaded
    cv2.imwrite(str(out["secret"]), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    out["bomb"] = folder / "bomb.png"  # 13000 x 13000 pixels in about half a megabyte
    cv2.imwrite(str(out["bomb"]), np.zeros((13000, 13000, 3), np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    out["exif"] = folder / "phone.jpg"  # stored sideways, EXIF orientation 6 says "turn 90 degrees clockwise"
    sideways = Image.fromarray(np.ascontiguousarray(np.rot90(astronaut, 1)))
    exif = Image.Exif()
    exif[274] = 6
    sideways.save(out["exif"], quality=92, exif=exif)
    out["png16"] = folder / "deep.png"
    cv2.imwrite(str(out["png16"]), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257)
    out["cmyk"] = folder / "print.jpg"
    Image.fromarray(astronaut).convert("CMYK").save(out["cmyk"], quality=92)
    out["palette"] = folder / "palette.png"
    Image.fromarray(astronaut).convert("P", palette=Image.Palette.ADAPTIVE).save(out["palette"])
    out["rgba"] = folder / "alpha.png"
    rgba = Image.fromarray(astronaut).convert("RGBA")
    rgba.putalpha(200)
    rgba.save(out["rgba"])
    out["text"] = folder / "notes.png"  # not a picture at all
    out["text"].write_text("meeting notes, not a picture")
    out["gif"] = folder / "moving.gif"
    frames = [Image.fromarray(astronaut).convert("P", palette=Image.Palette.ADAPTIVE), Image.new("P", (512, 512))]
    frames[0].save(out["gif"], save_all=True, append_images=frames[1:], duration=200)
    from emotion.io.video import ffmpeg_exe

    out["clip"] = folder / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-loop", "1", "-i", str(out["face"]), "-t", "0.4", "-r", "10",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", str(out["clip"])], check=True)
    out["huge_video"] = folder / "huge.mp4"  # one 10000 x 10000 frame
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=gray:s=10000x10000:d=0.1:r=10",
                    "-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out["huge_video"])],
                   check=True)
    return out
