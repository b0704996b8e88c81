"""Where the time of a chunked run goes: each chunk's analysis, then the final pass (decoding the
video again, the temporal step, people, the files) without and with the annotated video,
against a whole run with the annotated video. One worker, in this process.

    python -m benchmarks.probes.chunk_breakdown LONG_VIDEO [--chunk-seconds 60]

(benchmarks/long_video.py builds such a clip and keeps it in its temporary folder.) Writes
benchmarks/results/chunk_breakdown.{md,json}.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.results_io import write_results
from batch.jobs import Options, run_chunk, run_one, video_chunks


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("video", type=Path)
    p.add_argument("--chunk-seconds", type=float, default=60)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chunk-breakdown-"))
    timings = {}
    started = time.perf_counter()
    run_one(args.video, work / "whole", Options(out_dir=work / "whole"), progress=False)
    timings["whole run, with the annotated video"] = time.perf_counter() - started
    for label, with_video in (("final pass, no annotated video", False), ("final pass, with the annotated video", True)):
        out = work / ("video" if with_video else "plain")
        options = Options(out_dir=out, chunk_seconds=args.chunk_seconds, write_video=with_video)
        _, info, chunks, folder = video_chunks(args.video, out, options)
        started = time.perf_counter()
        for chunk in chunks:
            run_chunk(args.video, out, options, chunk, info)
        timings[f"{len(chunks)} chunks analysed one after another ({label.split(',')[1].strip()} run)"] = time.perf_counter() - started
        started = time.perf_counter()
        row = run_one(args.video, out, options, progress=False, chunks=chunks)
        timings[label] = time.perf_counter() - started
        assert row["status"] == "ok", row
    shutil.rmtree(work, ignore_errors=True)
    lines = ["# Where a chunked run's time goes", "",
             f"Command: `python -m benchmarks.probes.chunk_breakdown VIDEO --chunk-seconds {args.chunk_seconds:g}` on "
             f"`{args.video.name}`; one worker, this process.", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    write_results("chunk_breakdown", lines, {k: round(v, 2) for k, v in timings.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
