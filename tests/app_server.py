"""Start the real app (python app.py ...) on a free local port and stop it afterwards."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

from helpers import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(*args: str, env: dict | None = None, timeout: float = 180):
    port = free_port()
    log = open(ROOT / "test-artifacts" / f"app-{port}.log", "w") if (ROOT / "test-artifacts").is_dir() else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    output: list[str] = []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError("app exited early:\n" + "".join(output[-40:]))
            output.append(line)
            if log is not subprocess.DEVNULL:
                log.write(line)
            if re.search(r"Running on local URL", line):
                break
        else:
            raise RuntimeError("app did not start in time:\n" + "".join(output[-40:]))

        def drain():  # an unread pipe would fill up and stop the server the next time it prints
            for line in proc.stdout:
                output.append(line)
                if log is not subprocess.DEVNULL:
                    try:
                        log.write(line)
                    except ValueError:  # the log was closed as the server stopped
                        pass

        threading.Thread(target=drain, daemon=True).start()
        yield f"http://127.0.0.1:{port}/", output, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if log is not subprocess.DEVNULL:
            log.close()
