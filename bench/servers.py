"""Server processes for the benchmarks that need real ones (bench_evaluation_socket, bench_load): daphne on
a free loopback port with its output in a log file, a wait until it answers HTTP, and a stop that never
leaves one behind."""

import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(argv, log, env):
    """Start `argv` (python -m …, manage.py …) in the project's folder, its output to the file `log`."""
    return subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def daphne(application, log, env):
    """(process, port, log) of a daphne serving `application` on a free loopback port."""
    port = free_port()
    return spawn(["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), application], log, env), port, log


def wait_answering(servers, path="/", limit=60):
    """Wait until every (process, port, log) answers HTTP on `path` (an import takes a while on a busy
    machine); RuntimeError with its log if one exits or stays silent for `limit` seconds."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    for process, port, log in servers:
        give_up = time.monotonic() + limit
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"daphne on port {port} exited:\n{log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(request)
                    if s.recv(12).startswith(b"HTTP/1."):
                        break
            except OSError:
                pass
            if time.monotonic() > give_up:
                raise RuntimeError(f"daphne on port {port} did not answer within {limit} s")
            time.sleep(0.2)


def stop(processes, grace=5):
    """SIGTERM every (process, …) still running, then SIGKILL what has not exited after `grace` seconds."""
    for process, *_ in processes:
        if process.poll() is None:
            process.terminate()
    for process, *_ in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
