"""--engine ray: the same per-video work as the local engine, as Ray tasks on a cluster.

Why tasks and not a home-made pool: Ray already schedules across machines, restarts dead
workers and retries the tasks they were running (`max_retries` counts only system failures:
a worker process or node that dies). A video that fails for its own reasons never raises here
(`jobs.run_one` turns it into a `failed` index row), so it is reported once, never retried.
Worker processes are reused between tasks and `emotion.cache` keeps their models loaded, so
each worker loads the model once.

Contract for a cluster: every node has the same Python environment (`pip install -r
requirements.txt -r requirements-ray.txt`), and the project, the inputs and the output folder
live on a shared filesystem at the same path on every node.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from emotion.errors import UsageError
from emotion.io.model_files import PROJECT_ROOT

from .jobs import Options, failed_row, run_one

MAX_RETRIES = 2  # a video whose worker dies three times is reported as failed


def process_one(video: str, out_dir: str, options: Options) -> dict:
    """Runs on a Ray worker: one video, one index row (never raises for a bad video)."""
    return run_one(Path(video), Path(out_dir), options, progress=False)


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise UsageError("--engine ray needs Ray: pip install -r requirements-ray.txt") from exc
    return ray


def run_on_ray(jobs: list[tuple[Path, Path]], options: Options, record: Callable[[dict], None]) -> None:
    """`jobs`: (video, its output folder). Each finished video's row goes to `record` as soon
    as it is done, so progress and index.csv follow the cluster."""
    ray = _import_ray()
    threads = str(max(1, (os.cpu_count() or 1) // max(options.workers, 1)))
    env = {"EMOTION_THREADS": os.environ.get("EMOTION_THREADS", threads),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    started_here = not ray.is_initialized()
    if started_here:
        init = {"runtime_env": {"env_vars": env}, "include_dashboard": False, "logging_level": "ERROR",
                "log_to_driver": False}
        if options.ray_address:
            ray.init(address=options.ray_address, **init)
        else:  # a local instance on this machine, one CPU slot per worker
            ray.init(num_cpus=max(options.workers, 1), **init)
    task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(process_one)
    try:
        pending = {task.remote(str(video), str(out_dir), options): video for video, out_dir in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                video = pending.pop(ref)
                try:
                    record(ray.get(ref))
                except ray.exceptions.RayError as exc:  # its worker died MAX_RETRIES + 1 times
                    reason = f"{video.name}: the Ray worker processing it died {MAX_RETRIES + 1} times " \
                             f"({exc.__class__.__name__})"
                    record(failed_row(video, reason))
    finally:
        if started_here:
            ray.shutdown()
