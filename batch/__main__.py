"""python -m batch INPUT [INPUT ...]: recorded videos in; annotated videos, per-frame CSV emotion
timelines, summaries and charts out.

For each video NAME the output folder gets:
  NAME.annotated.mp4  every frame, faces circled with emotion and confidence; H.264/yuv420p,
                      +faststart (plays in browsers), the source's audio kept
  NAME.timeline.csv   one row per analysed frame and face: video, frame, time_s, face_id,
                      x, y, w, h, det_score, angry, disgust, fear, happy, sad, surprise,
                      neutral, emotion, confidence (a frame without a face: one row with
                      emotion = no_face), smooth_<emotion> (smoothed over time), the facial
                      action measurements au1_... au9_... relative to the face's baseline,
                      motion_brows/eyes/mouth (optical-flow energy), yaw, pitch, roll
  NAME.events.csv     micro-expressions, longer movements and expression episodes: face_id,
                      kind, onset_s, apex_s, offset_s, duration_s, regions, signals,
                      magnitude, emotion, cnn_emotion
  NAME.summary.json   duration, frames analysed, per face: first/last time, share of time in
                      each emotion, mean probabilities, action baseline, event counts;
                      share of frames without a face
  NAME.timeline.png   emotion probabilities over time for the main faces, events marked
  NAME.report.html    all of it on one self-contained page: timeline, faces, events with a
                      picture of each apex, facial actions, quality checks, how it was made
and the folder gets index.csv (one row per input with status ok/skipped/failed and the reason),
study.csv (one row per video and face, --metadata columns joined) and report.html (every video,
then groups compared by the metadata columns), rebuilt from every summary after each run.

Outputs appear only when complete; a rerun skips finished videos (unless --overwrite).
Exit code 0 when every video was complete and analysed, 1 when one failed or was partial (cut
short or damaged: its outputs cover what could be decoded, index.csv and the reports say why).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from emotion.errors import UsageError, command
from emotion.config import DEFAULT_LANDMARKER, DETECT_EVERY, LANDMARKERS
from emotion.inference.frames import MAX_DETECT_EVERY
from emotion.options import add_analysis_options

from .jobs import AUTO_CHUNK_AFTER_S, AUTO_CHUNK_S, Options
from .metadata import read_metadata
from .runner import default_out_dir, env_threads_for, run


def parse(argv=None):
    p = argparse.ArgumentParser(prog="python -m batch", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a folder of videos, or video files")
    p.add_argument("--out", type=Path, help="output folder (default: INPUT-emotions beside a folder, or emotion-results beside files)")
    p.add_argument("--recursive", action="store_true", help="also look in sub-folders (their layout is mirrored in --out)")
    p.add_argument("--stride", type=int, default=1, help="analyse every Nth frame; the video still gets every frame (default 1)")
    p.add_argument("--detect-every", type=int, default=DETECT_EVERY, metavar="N",
                   help=f"run the whole-frame face detection on every Nth analysed frame; frames between take the "
                        f"faces of the detected frames on either side when those agree, and are detected "
                        f"themselves when not (default {DETECT_EVERY}; 1 detects every frame)")
    add_analysis_options(p, actions_help="skip landmarks, action measurements and motion energy (fastest; those columns stay empty)")
    p.add_argument("--overwrite", action="store_true", help="redo videos whose outputs already exist")
    p.add_argument("--face-mesh", choices=LANDMARKERS, default=DEFAULT_LANDMARKER,
                   help="facial actions from Face Mesh V2 and its blendshapes (v2, default) or from the older 468-point "
                        "mesh (v1, for comparisons: no bs_ columns, every action geometric)")
    p.add_argument("--no-people", action="store_true",
                   help="do not join the tracks of one person into a person_id (no face descriptors are computed); "
                        "tracks too short to be a person are still marked transient")
    p.add_argument("--people", action="store_true",
                   help="match the people of all videos into study-level ids (P1, P2, ...) in study.csv and report.html "
                        "(face descriptors are computed again from a few frames and kept in memory only)")
    p.add_argument("--gallery", type=Path, metavar="DIR",
                   help="with --people: a folder of NAME.jpg photos, one face each, that name the matching people; it "
                        "stays on this machine")
    p.add_argument("--no-video", action="store_true", help="skip the annotated video (CSV, summary and chart only; faster)")
    p.add_argument("--chunk-seconds", type=float, metavar="S",
                   help="cut videos longer than S seconds into time chunks analysed in parallel (by --workers, or the "
                        f"Ray cluster) and stitched into the same outputs; default: none, or with --engine ray "
                        f"{AUTO_CHUNK_S:.0f} s chunks for videos over {AUTO_CHUNK_AFTER_S / 60:.0f} minutes")
    p.add_argument("--workers", type=int, default=1, help="videos processed in parallel (default 1)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local: this machine's processes (default); ray: one Ray task per video on a Ray cluster "
                        "(pip install -r requirements-ray.txt; inputs and --out on a filesystem all nodes share)")
    p.add_argument("--ray-address", help="join this Ray cluster (auto, or ray://HOST:PORT); default with --engine "
                                         "ray: start a local Ray instance with --workers CPUs")
    p.add_argument("--metadata", type=Path, metavar="CSV",
                   help="participant metadata: a 'video' column (file name or path relative to the input folder) and "
                        "any others (participant, condition, ...), joined into study.csv and compared in report.html")
    p.add_argument("--group-by", metavar="COLUMN[,COLUMN]",
                   help="metadata columns to compare groups by (default: every column with 2 to 8 distinct values, "
                        "fewer than its rows)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p.parse_args(argv)


@command
def main(argv=None) -> int:
    args = parse(argv)
    if args.stride < 1 or args.workers < 1:
        raise UsageError("--stride and --workers must be at least 1")
    if not 1 <= args.detect_every <= MAX_DETECT_EVERY:
        raise UsageError(f"--detect-every must be from 1 to {MAX_DETECT_EVERY}")
    if args.min_face < 8:
        raise UsageError("--min-face must be at least 8 pixels")
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    metadata = read_metadata(args.metadata) if args.metadata else None
    group_by = [c.strip() for c in args.group_by.split(",") if c.strip()] if args.group_by else None
    if group_by and not metadata:
        raise UsageError("--group-by needs --metadata")
    if args.gallery and not args.people:
        raise UsageError("--gallery needs --people")
    if args.people and args.no_people:
        raise UsageError("--people needs the per-video people that --no-people turns off")
    if args.chunk_seconds is not None and args.chunk_seconds < 10:
        raise UsageError("--chunk-seconds must be at least 10 (each chunk also analyses a few seconds before it)")
    chunk_seconds = args.chunk_seconds if args.chunk_seconds is not None else AUTO_CHUNK_S if args.engine == "ray" else None
    env_threads_for(args.workers)
    options = Options(out_dir=args.out or default_out_dir(args.inputs), stride=args.stride, detector=args.detector,
                      detect_every=args.detect_every,
                      min_face=args.min_face, max_pixels=args.max_pixels,
                      model=args.model, overwrite=args.overwrite, write_video=not args.no_video, actions=not args.no_actions,
                      face_mesh=args.face_mesh, link_people=not args.no_people, study_people=args.people, chunk_seconds=chunk_seconds,
                      chunk_after_s=AUTO_CHUNK_AFTER_S if args.chunk_seconds is None else 0.0,
                      gallery=args.gallery, workers=args.workers,
                      engine=args.engine, ray_address=args.ray_address, quiet=args.quiet,
                      command=" ".join(["python -m batch", *map(shlex.quote, sys.argv[1:] if argv is None else argv)]))
    try:
        report = run(args.inputs, options, recursive=args.recursive, metadata=metadata, group_by=group_by)
    except KeyboardInterrupt:
        print("\ninterrupted: finished videos are kept; run the same command again to do the rest", file=sys.stderr)
        return 130
    print(f"{report.line()} -> {options.out_dir / 'index.csv'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
