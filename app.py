"""python app.py: the Gradio demo - live webcam, image and video tabs, and an HTTP API.

    python app.py [--share] [--host 127.0.0.1] [--port 7860] [--auth USER:PASS]
                  [--model PATH] [--detector NAME] [--min-face PIXELS] [--max-file-size 200mb]
                  [--max-pixels 50M]

Credentials can also come from the EMOTION_APP_AUTH environment variable (USER:PASS), which
keeps them out of the shell history. The UI only wires components to the `emotion` package
and `batch.process_video`; it has no analysis logic of its own. What strangers may send is
checked by emotion.web.guard before any handler runs (see docs/app.md, "Security").
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import gradio as gr

from batch import process_video
from emotion import EMOTIONS, EmotionAnalyzer, EmotionError, ImageInputError, LiveSession, annotate, load_image
from emotion.draw import charts
from emotion.draw.annotate import numbered
from emotion.labels import ACTION_NAMES
from emotion.options import add_analysis_options, analyzer_from
from emotion.web.guard import GuardedBlocks, plain_message, stride_from

AUTH_ENV = "EMOTION_APP_AUTH"
TABLE_HEADERS = ["face", "emotion", "confidence", "x", "y", "w", "h", *EMOTIONS]
ACTION_HEADERS = ["face", "measure", "value (actions: change from baseline)"]
EVENT_HEADERS = ["face", "kind", "onset s", "apex s", "offset s", "duration s", "regions", "emotion", "magnitude"]
JOB_MAX_AGE_S = 3600
TABLES_EVERY_S = 0.5
# The live stream: the browser sends a frame every STREAM_EVERY_S (when the previous answer is
# back), as JPEG both ways (WebP, Gradio's default, took several times longer to encode here).
STREAM_EVERY_S = 0.05


def face_table(faces) -> list[list]:
    """One row per face (faces carry their id: tracked in live, numbered in stills)."""
    return [[f"#{f.face_id}", f.emotion, round(f.confidence, 3), *f.box, *[round(float(p), 3) for p in f.probabilities]]
            for f in faces]


def action_table(actions: dict) -> list[list]:
    """Per face: where it looks, its asymmetry and its action measurements relative to its
    calibration baseline (inter-ocular units; blendshape coefficients for the brows, upper lid,
    cheek raise and jaw drop)."""
    rows = []
    for face_id, values in actions.items():
        if values is None:
            rows.append([f"#{face_id}", "calibrating: hold a neutral face", ""])
        elif not values:
            rows.append([f"#{face_id}", "not measured (the app runs with --no-actions)", ""])
        else:
            looking = values.get("looking_at_camera")
            gaze = f"yaw {values['gaze_yaw']:+.0f}°, pitch {values['gaze_pitch']:+.0f}°" if looking == looking else "eyes closed"
            rows.append([f"#{face_id}", "looking at the camera", "" if looking != looking else ("yes" if looking else "no")])
            rows.append([f"#{face_id}", "gaze", gaze])
            side = values.get("asymmetry")
            rows.append([f"#{face_id}", "asymmetry (+: the person's left moved more)",
                         "" if side != side else round(side, 2)])
            rows += [[f"#{face_id}", name, round(v, 3)] for name, v in values.items() if name in ACTION_NAMES]
    return rows


def event_table(events) -> list[list]:
    return [[f"#{e.person_id if e.person_id is not None else e.face_id}", e.kind, round(e.onset_s, 2), round(e.apex_s, 2), round(e.offset_s, 2), round(e.duration_s, 2),
             e.regions, e.emotion, round(e.magnitude, 1)] for e in events]


def example_images(folder: Path) -> list[str]:
    """Example photos from scikit-image (shipped with the package, nothing downloaded)."""
    import cv2
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("astronaut", "coffee"):
        path = folder / f"{name}.png"
        if not path.exists():
            cv2.imwrite(str(path), cv2.cvtColor(getattr(data, name)(), cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    return paths


SERVER_FAULT = "Something went wrong on the server while analysing this; the app's console says what."


def answers_plainly(handler):
    """What a user sees when a handler fails: our errors in their own words (without server
    paths), anything unexpected as one sentence (its traceback goes to the console)."""

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except EmotionError as exc:
            raise gr.Error(plain_message(exc)) from None
        except Exception:
            traceback.print_exc()
            raise gr.Error(SERVER_FAULT) from None

    return wrapped


class Handlers:
    """The functions behind the UI and the API, bound to one analyzer and a job folder."""

    def __init__(self, analyzer: EmotionAnalyzer, work_dir: Path, actions: bool = True):
        self.analyzer, self.work_dir, self.actions = analyzer, work_dir, actions
        # Live and video analysis also measure facial actions (landmarks, ~3 ms per face).
        self.motion_analyzer = analyzer.with_actions(actions)

    def _faces(self, image):
        """The uploaded image (its path, checked by emotion.web.guard) and its numbered faces,
        or a message the user sees."""
        if image is None:
            raise gr.Error("Upload, paste or take a picture first.")
        try:
            rgb = load_image(image, name=Path(image).name, max_pixels=self.analyzer.max_pixels)
        except ImageInputError as exc:
            raise gr.Error(plain_message(exc)) from None
        return rgb, numbered(self.analyzer.analyze(rgb))

    @answers_plainly
    def image(self, image):
        rgb, faces = self._faces(image)
        return annotate(rgb, faces), charts.faces_figure(faces), face_table(faces), [f.as_dict() for f in faces]

    @answers_plainly
    def image_api(self, image):
        """JSON only: no annotated picture or figure is drawn for an API call."""
        return [f.as_dict() for f in self._faces(image)[1]]

    @answers_plainly
    def live(self, frame, session):
        session = session or LiveSession()
        if frame is None:
            return None, {}, [], "waiting for the camera…", [], [], session
        out = session.process(self.motion_analyzer, frame)
        largest = max(range(len(out.faces)), key=lambda i: out.faces[i].box[2] * out.faces[i].box[3], default=None)
        label = {} if largest is None else {e: float(p) for e, p in zip(EMOTIONS, out.faces[largest].probabilities)}
        status = f"{out.fps:.1f} frames/s · {len(out.faces)} face(s)"
        # The picture, the label and the rate change with every frame; the three tables are sent
        # TABLES_EVERY_S apart (a reader cannot follow them faster, and re-sending them every
        # frame costs the stream frames).
        now = time.monotonic()
        if now - getattr(session, "tables_sent_at", -1e9) < TABLES_EVERY_S:
            return out.annotated, label, gr.skip(), status, gr.skip(), gr.skip(), session
        session.tables_sent_at = now
        return (out.annotated, label, face_table(out.faces), status, action_table(out.actions),
                event_table(out.events), session)

    @answers_plainly
    def video(self, path, stride=1, progress=gr.Progress(track_tqdm=True)):
        stride = stride_from(stride)  # before any work (GuardedBlocks checked it already for HTTP callers)
        if not path:
            raise gr.Error("Upload a video first.")
        self._clean_old_jobs()
        job = Path(tempfile.mkdtemp(prefix="job-", dir=self.work_dir))
        try:
            result = process_video(path, job, self.motion_analyzer, stride=stride, progress=True,
                                   actions=self.actions, command="app.py video tab")
        except BaseException:
            shutil.rmtree(job, ignore_errors=True)
            raise
        o = result.outputs
        return (str(o.video), str(o.chart), result.summary, [str(o.report), str(o.timeline), str(o.events), str(o.video)],
                event_table(result.events))

    @answers_plainly
    def video_api(self, path, stride=1):
        video, _chart, summary, files, _events = self.video(path, stride, progress=gr.Progress())
        return video, files[1], summary

    def _clean_old_jobs(self) -> None:
        for job in self.work_dir.glob("job-*"):
            if time.time() - job.stat().st_mtime > JOB_MAX_AGE_S:
                shutil.rmtree(job, ignore_errors=True)


CSS = """
.gradio-container {max-width: 1280px !important; margin: auto}
#title {text-align: center} #fps {font-size: 1.1em}
"""


def build(analyzer: EmotionAnalyzer, work_dir: Path, actions: bool = True) -> gr.Blocks:
    h = Handlers(analyzer, work_dir, actions)
    examples = example_images(work_dir / "examples")
    with GuardedBlocks(title="Facial emotion recognition", delete_cache=(600, JOB_MAX_AGE_S),
                       max_pixels=analyzer.max_pixels) as demo:
        gr.Markdown("# Facial emotion recognition\nFaces are found, circled and labelled with one of the seven "
                    "FER2013 emotions. A confidence of 80% means that a crowd of ten people would mostly pick that "
                    "emotion for about 80% of such faces: it reads an expression, not a feeling. Everything runs on "
                    "this server; nothing is stored after your session.",
                    elem_id="title")
        with gr.Tab("Webcam (live)"):
            with gr.Row():
                # The stream sends each frame inline (a data: URL), checked against the pixel budget by
                # the guard before Gradio decodes it in memory (a file per frame would fill the disk).
                cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="camera", format="jpeg",
                               webcam_options=gr.WebcamOptions(mirror=True, constraints={"video": {"width": 640, "height": 480}}))
                live_out = gr.Image(label="annotated", type="numpy", elem_id="live-annotated", format="jpeg")
            with gr.Row():
                live_label = gr.Label(num_top_classes=7, label="largest face (smoothed over ~0.5 s)")
                with gr.Column():
                    live_fps = gr.Textbox(label="speed", elem_id="fps", interactive=False)
                    live_table = gr.Dataframe(headers=TABLE_HEADERS, label="all faces (smoothed)", interactive=False)
            with gr.Row():
                live_actions = gr.Dataframe(headers=ACTION_HEADERS, label="facial actions (relative to the first 2 s of each "
                                            "face; inter-ocular units, brows, lid, cheeks, jaw: blendshapes 0..1)", interactive=False,
                                            elem_id="live-actions", max_height=320)
                live_events = gr.Dataframe(headers=EVENT_HEADERS, label="recent events (micro-expressions, movements)",
                                           interactive=False, elem_id="live-events", max_height=320)
            session = gr.State(None)
            cam.stream(h.live, [cam, session], [live_out, live_label, live_table, live_fps, live_actions, live_events, session],
                       stream_every=STREAM_EVERY_S, time_limit=600, concurrency_limit=4, concurrency_id="live",
                       api_visibility="private")
        with gr.Tab("Image"):
            with gr.Row():
                img_in = gr.Image(sources=["upload", "clipboard", "webcam"], type="filepath", image_mode=None, label="photo",
                                  elem_id="image-input")
                img_out = gr.Image(label="annotated", type="numpy")
            img_btn = gr.Button("Analyse", variant="primary")
            with gr.Row():
                img_plot = gr.Plot(label="probabilities per face")
                with gr.Column():
                    img_table = gr.Dataframe(headers=TABLE_HEADERS, label="faces", interactive=False)
                    img_json = gr.JSON(label="JSON", elem_id="image-json")
            gr.Examples(examples, inputs=img_in)
            img_btn.click(h.image, img_in, [img_out, img_plot, img_table, img_json], concurrency_limit=2,
                          concurrency_id="image", api_visibility="undocumented")
        with gr.Tab("Video"):
            with gr.Row():
                vid_in = gr.Video(label="recorded video", sources=["upload"], elem_id="video-input")
                vid_out = gr.Video(label="annotated video")
            with gr.Row():
                stride = gr.Slider(1, 10, value=1, step=1, label="analyse every Nth frame")
                vid_btn = gr.Button("Analyse video", variant="primary")
            vid_chart = gr.Image(label="emotion timeline", type="filepath")
            with gr.Row():
                vid_summary = gr.JSON(label="summary")
                vid_files = gr.File(label="downloads (HTML report, CSV timeline, CSV events, annotated video)",
                                    file_count="multiple", elem_id="video-files")
            vid_events = gr.Dataframe(headers=EVENT_HEADERS, label="events: micro-expressions, movements, episodes",
                                      interactive=False, elem_id="video-events")
            vid_btn.click(h.video, [vid_in, stride], [vid_out, vid_chart, vid_summary, vid_files, vid_events], concurrency_limit=1,
                          concurrency_id="video", api_visibility="undocumented")
        # The HTTP API (gradio_client): plain request/response endpoints with stable names.
        with gr.Row(visible=False):
            api_img = gr.Image(type="filepath", image_mode=None)
            api_img_json = gr.JSON()
            api_vid = gr.Video()
            api_stride = gr.Number(value=1, precision=0)
            api_vid_out, api_csv, api_summary = gr.Video(), gr.File(), gr.JSON()
            api_btn, api_vid_btn = gr.Button(), gr.Button()
        api_btn.click(h.image_api, api_img, api_img_json, api_name="analyze_image", concurrency_limit=2,
                      concurrency_id="image")
        api_vid_btn.click(h.video_api, [api_vid, api_stride], [api_vid_out, api_csv, api_summary],
                          api_name="analyze_video", concurrency_limit=1, concurrency_id="video")
        for component in (stride, api_stride):  # the one stride rule, before any work, for the UI and the API
            demo.check(component, stride_from)
    return demo


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--share", action="store_true", help="also ask Gradio for a public link (exposes the app!)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 for your network)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", help=f"USER:PASS required to open the app (or set {AUTH_ENV})")
    add_analysis_options(p, actions_help="skip facial action measurements and events (faster)")
    p.add_argument("--max-file-size", default="200mb", help="largest upload accepted (default 200mb); --max-pixels "
                                                          "limits what an image or video frame may hold")
    p.add_argument("--queue-size", type=int, default=16, help="requests waiting beyond this are refused (default 16)")
    return p.parse_args(argv)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """USER:PASS from --auth, else from the environment variable; the error names the source."""
    source = "--auth" if value else AUTH_ENV
    value = value or os.environ.get(AUTH_ENV)
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SystemExit(f"error: credentials from {source} must look like USER:PASS")
    return user, password


def _exit_on_sigterm(*_) -> None:
    """The first SIGTERM exits normally (so atexit cleans up); repeats during that shutdown
    are ignored instead of interrupting it with a second SystemExit."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(0)


def main(argv=None) -> int:
    args = parse_args(argv)
    auth = parse_auth(args.auth)
    if args.share:
        print("WARNING: --share publishes this app on a public gradio.live address: anyone with the link can "
              "use it and upload to this machine." + ("" if auth else " Protect it with --auth USER:PASS "
              f"(or {AUTH_ENV})."), file=sys.stderr, flush=True)
    analyzer = analyzer_from(args)
    work_dir = Path(tempfile.mkdtemp(prefix="emotion-app-"))
    # Uploads and job outputs live in one folder that goes when the server stops, by Ctrl-C or
    # by SIGTERM (systemd, docker stop): SIGTERM becomes a normal exit so atexit runs.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(work_dir / "uploads"))
    atexit.register(shutil.rmtree, work_dir, True)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    print(f"temporary files: {work_dir} (removed on exit)", flush=True)
    demo = build(analyzer, work_dir, actions=not args.no_actions)
    demo.queue(max_size=args.queue_size, default_concurrency_limit=2)
    # show_error=False: a user sees our own messages (gr.Error) and nothing of an unexpected
    # exception (server paths, class names); quiet=True: Gradio's start lines speak of launch(),
    # ours of this command's options.
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
                max_file_size=args.max_file_size, show_error=False, theme=gr.themes.Soft(), css=CSS,
                footer_links=["api"], quiet=True, prevent_thread_lock=True)
    if not args.share:
        print("* To share it with a public link: python app.py --share --auth USER:PASS "
              "(anyone with the link can use the app; docs/app.md#security)", flush=True)
    print(f"* Running on local URL:  {demo.local_url}", flush=True)
    demo.block_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
