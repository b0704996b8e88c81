"""People, not tracks: how often the batch gives one person a new number, and how well face
descriptors tell people apart, on the shared media and on clips cut from it.

    python benchmarks/identity.py [--media ../shared/media]

- ID switches: every clip runs through `batch.process_video` (descriptors on); a clip's extra
  ids are the ids beyond its true number of people, per minute of video, counted for the
  tracks (`face_id`, what the timeline had before) and for the people (`person_id`). Clips:
  the shared ones, two cut with gaps (the face gone 2-5 s: frames replaced by gray), and a
  3x3 mosaic of single_face.mp4 (nine copies of one person at once, which must stay nine).
- Verification: mean descriptors of the two halves of a clip (same person) and of different
  people (single_face.mp4, WolfgangLanger_Pexels.mp4 and the faces of multi_face.jpg): the
  distances, and the true / false match rates at the linking threshold.

Writes benchmarks/results/identity.{md,json}.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from results_io import write_results

from batch import process_video
from emotion.inference import cache
from emotion.inference.analyzer import EmotionAnalyzer
from emotion.inference.embedder import distance
from emotion.io.image import load_image
from emotion.io.encode import VideoWriter
from emotion.io.video import probe, read_frames
from emotion.temporal.people import MAX_DISTANCE, MIN_FRAMES, MIN_SPAN_S

GRAY = 90


def cut_with_gaps(source: Path, out: Path, gaps: list[tuple[float, float]], repeat: int = 1) -> Path:
    """`source` played `repeat` times, with gray frames over each (start, end) of `gaps` (seconds
    of the output)."""
    info = probe(source)
    frames = [f.rgb for f in read_frames(source)] * repeat
    writer = VideoWriter(out, info.width, info.height, info.frame_rate)
    for k, rgb in enumerate(frames):
        t = k / float(info.frame_rate)
        writer.write(np.full_like(rgb, GRAY) if any(a <= t < b for a, b in gaps) else rgb)
    writer.close()
    return out


def mosaic(source: Path, out: Path, grid: int = 3) -> Path:
    info = probe(source)
    writer = VideoWriter(out, info.width * grid, info.height * grid, info.frame_rate)
    for frame in read_frames(source):
        writer.write(np.vstack([np.hstack([frame.rgb] * grid)] * grid))
    writer.close()
    return out


def id_counts(result, people_true: int) -> dict:
    import csv

    with open(result.outputs.timeline, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["face_id"]]
    lasting = [r for r in rows if r["transient"] == "0"]
    tracks, people = {r["face_id"] for r in lasting}, {r["person_id"] for r in lasting}
    per_frame: dict[str, set] = {}
    for r in lasting:
        per_frame.setdefault(r["frame"], set()).add(r["person_id"])
    minutes = result.summary["duration_s"] / 60
    full = [len(v) for v in per_frame.values() if len(v) >= people_true] if people_true > 1 else []
    return {"duration_s": result.summary["duration_s"], "people_true": people_true, "tracks": len(tracks), "people": len(people),
            "transient_tracks": result.summary["transient_tracks"]["count"],
            "extra_ids_per_min_tracks": round((len(tracks) - people_true) / minutes, 2),
            "extra_ids_per_min_people": round((len(people) - people_true) / minutes, 2),
            "frames_with_all_faces": len(full), "min_people_in_those_frames": min(full) if full else None,
            "seconds": result.summary["processing_seconds"]}


def half_descriptors(clip: Path, analyzer, embedder, every_s: float = 1.0) -> list[np.ndarray]:
    """Mean descriptor of the largest face over each half of the clip (one frame a second)."""
    frames = [f for f in read_frames(clip)]
    halves = (frames[: len(frames) // 2], frames[len(frames) // 2 :])
    out = []
    for half in halves:
        vectors, last = [], -1e9
        for f in half:
            if f.time_s - last < every_s:
                continue
            faces = analyzer.analyze(f.rgb)
            if faces:
                face = max(faces, key=lambda x: x.box[2] * x.box[3])
                vectors.append(embedder.embed_face(f.rgb, face))
                last = f.time_s
        mean = np.mean(vectors, axis=0)
        out.append(mean / np.linalg.norm(mean))
    return out


def verification(media: Path) -> dict:
    analyzer, embedder = EmotionAnalyzer(), cache.get_embedder()
    people: dict[str, list[np.ndarray]] = {}
    for clip in ("single_face.mp4", "WolfgangLanger_Pexels.mp4"):
        people[clip] = half_descriptors(media / clip, analyzer, embedder)
    image = load_image(media / "multi_face.jpg")
    for k, face in enumerate(sorted(analyzer.analyze(image), key=lambda f: f.xyxy[0])):
        people[f"multi_face.jpg #{k + 1}"] = [embedder.embed_face(image, face)]
    same = {name: distance(*v) for name, v in people.items() if len(v) == 2}
    names = list(people)
    different = {f"{a} / {b}": min(distance(x, y) for x in people[a] for y in people[b])
                 for i, a in enumerate(names) for b in names[i + 1 :]}
    face = analyzer.analyze(image)[0]
    started = time.perf_counter()
    for _ in range(50):
        embedder.embed_face(image, face)
    return {"same": same, "different": different, "threshold": MAX_DISTANCE,
            "true_match_rate": sum(d <= MAX_DISTANCE for d in same.values()) / len(same),
            "false_match_rate": sum(d <= MAX_DISTANCE for d in different.values()) / len(different),
            "ms_per_descriptor": round((time.perf_counter() - started) / 50 * 1e3, 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--media", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "media")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="identity-"))
    clips = {"single_face.mp4": (args.media / "single_face.mp4", 1),
             "WolfgangLanger_Pexels.mp4": (args.media / "WolfgangLanger_Pexels.mp4", 1),
             "face_noface.mov": (args.media / "face_noface.mov", 1),
             "WolfgangLanger, gone 4-7 s and 11-13.5 s": (cut_with_gaps(args.media / "WolfgangLanger_Pexels.mp4",
                                                                       work / "wl_gaps.mp4", [(4, 7), (11, 13.5)]), 1),
             "single_face x5, gone 2.4-4.8 s and 7.2-9.6 s": (cut_with_gaps(args.media / "single_face.mp4", work / "sf_gaps.mp4",
                                                                            [(2.4, 4.8), (7.2, 9.6)], repeat=5), 1),
             "single_face.mp4 3x3 mosaic (nine at once)": (mosaic(args.media / "single_face.mp4", work / "mosaic.mp4"), 9)}
    runs = {}
    for name, (path, true) in clips.items():
        result = process_video(path, work / "out", write_video=False, overwrite=True, progress=False)
        runs[name] = id_counts(result, true)
    verify = verification(args.media)
    cpu = "AMD Zen 4 with AVX-512 BF16" if "avx512_bf16" in Path("/proc/cpuinfo").read_text() else platform.processor() or "x86-64"
    lines = ["# People, not tracks: identity across gaps", "",
             f"Command: `python benchmarks/identity.py`. Machine: {cpu}. Transient: {MIN_FRAMES} analysed frames or "
             f"{MIN_SPAN_S} s at least to be a person; linking threshold {MAX_DISTANCE} (unit descriptors).", "",
             "## ID switches", "",
             "Extra ids: ids beyond the clip's true number of people, per minute of video; tracks are what the timeline's "
             "`face_id` counts (before), people what `person_id` counts (after).", "",
             "| clip | s | people (true) | tracks | people found | transient tracks | extra ids/min, tracks | extra ids/min, people |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['duration_s']:.1f} | {r['people_true']} | {r['tracks']} | {r['people']} | "
                     f"{r['transient_tracks']} | {r['extra_ids_per_min_tracks']:.2f} | {r['extra_ids_per_min_people']:.2f} |")
    m = runs["single_face.mp4 3x3 mosaic (nine at once)"]
    lines += ["", f"Mosaic: {m['frames_with_all_faces']} frames with all nine faces found; fewest distinct people in such a "
                  f"frame: {m['min_people_in_those_frames']}.", "",
              "## Verification", "",
              f"Same person (mean descriptors of a clip's two halves) and different people (smallest distance between "
              f"their descriptors); a match is a distance of at most {MAX_DISTANCE}. "
              f"True match rate {verify['true_match_rate']:.0%} ({len(verify['same'])} pairs), false match rate "
              f"{verify['false_match_rate']:.0%} ({len(verify['different'])} pairs). One descriptor: "
              f"{verify['ms_per_descriptor']:.1f} ms (150x150 chip, all cores).", "",
              "| pair | same person | distance |", "|---|---|---:|"]
    lines += [f"| {k}, two halves | yes | {d:.3f} |" for k, d in verify["same"].items()]
    lines += [f"| {k} | no | {d:.3f} |" for k, d in sorted(verify["different"].items(), key=lambda kv: kv[1])]
    write_results("identity", lines, {"runs": runs, "verification": verify, "cpu": cpu})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
