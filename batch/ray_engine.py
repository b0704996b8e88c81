"""--engine ray: the same jobs as the local engine (a video, or a time chunk of a long one and
then its final pass; batch.runner.schedule), as Ray tasks on a cluster.

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
from concurrent.futures import Future
from typing import Callable

from emotion.errors import UsageError
from emotion.io.model_files import PROJECT_ROOT

from .jobs import Options

MAX_RETRIES = 2  # a job whose worker dies three times is reported as failed (a chunk: its time range missing)


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise UsageError("--engine ray needs Ray: pip install -r requirements-ray.txt") from exc
    return ray


class RayExecutor:
    """Jobs (batch.jobs.run_one, run_chunk) as Ray tasks, one CPU slot each, each returned as a
    concurrent.futures.Future. Joins the cluster at `options.ray_address`, or starts a local
    instance with `--workers` CPUs, and leaves what it started when done."""

    def __init__(self, options: Options):
        self.options = options
        self._started_here = False
        self._tasks: dict = {}

    def __enter__(self) -> "RayExecutor":
        ray = self._ray = _import_ray()
        options = self.options
        threads = str(max(1, (os.cpu_count() or 1) // max(options.workers, 1)))
        env = {"EMOTION_THREADS": os.environ.get("EMOTION_THREADS", threads),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
        self._started_here = not ray.is_initialized()
        if self._started_here:
            init = {"runtime_env": {"env_vars": env}, "include_dashboard": False, "logging_level": "ERROR",
                    "log_to_driver": False}
            if options.ray_address:
                ray.init(address=options.ray_address, **init)
            else:  # a local instance on this machine, one CPU slot per worker
                ray.init(num_cpus=max(options.workers, 1), **init)
        return self

    def submit(self, fn: Callable, *args) -> Future:
        task = self._tasks.get(fn)
        if task is None:
            task = self._tasks[fn] = self._ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(fn)
        return task.remote(*args).future()

    def __exit__(self, *exc) -> None:
        if self._started_here:
            self._ray.shutdown()
