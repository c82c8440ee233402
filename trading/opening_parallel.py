"""Bids opened side by side in worker processes (issue 16); the opening task records them, in order.

Why a process pool inside the one opening task, not one task per bid: the task's process alone writes
the database (each bid's outcome, log entry and hall event in one transaction, in 唱标 order, and the
completion once), so the hall sees the same events as before. A pool worker that dies is noticed at once
(BrokenProcessPool) and its bids are given to a fresh pool in the same run; a per-bid task whose
db_worker is killed would stay "running" in the task table with nothing to rerun it. The embedded
default (one task thread inside the ASGI process) gets the same parallelism as production.

The workers import only this module and sealedbid (no Django, no database connection): they get the
envelope's path, the key, and a fresh folder to write into, and send back plain dicts. They are forked
from a forkserver (a clean single-threaded process), never from the ASGI or worker process, whose other
threads may hold locks at the moment of a fork.
"""

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from Crypto.PublicKey import RSA

from sealedbid.envelope import EnvelopeError
from sealedbid.stream_open import open_to_files

MAX_RESTARTS = 3  # pools that may break (a killed worker) in one run before the run gives up
POLL_SECONDS = 0.05  # how often progress is relayed while waiting for a bid

_progress_queue = None  # in a worker: where progress goes
_imported = {}  # in a worker: the opening key as imported for its last job ({DER bytes: key})


def _private_key(key):
    """The key object for a job's key. pycryptodome checks a private key as it imports it (about 40 ms
    for RSA-3072, as long as opening a 20 MiB bid's ciphertext takes): a worker imports the run's key
    once, not once per bid. Only the last key is kept; the pool ends with its opening run."""
    if not isinstance(key, bytes):
        return key
    found = _imported.get(key)
    if found is None:
        _imported.clear()
        found = _imported[key] = RSA.import_key(key)
    return found


def _init_worker(progress_queue):
    global _progress_queue
    _progress_queue = progress_queue


def open_bid(job, progress=None):
    """Decrypt one envelope into `job["out_dir"]` (a folder of its own, new for each attempt).

    Returns {"bid", "out_dir", "read", "elapsed", "error"} plus "letter" and "files" when it opened;
    `error` is an EnvelopeError code, or "storage" when the stored envelope (or the output) cannot be
    read or written. Progress goes to `progress(bid, read, elapsed)` in-process, else to the pool's queue."""
    started = time.monotonic()
    key = _private_key(job["key"])

    def report(done):
        elapsed = time.monotonic() - started
        if progress is not None:
            progress(job["bid"], done, elapsed)
        elif _progress_queue is not None:
            _progress_queue.put((job["bid"], done, elapsed))

    result = {"bid": job["bid"], "out_dir": job["out_dir"], "read": 0, "error": None}
    try:
        with open(job["envelope"], "rb", buffering=0) as raw:
            source = raw if raw.seekable() else _Counted(raw)
            try:
                letter, files = open_to_files(
                    source, key, lambda index: os.path.join(job["out_dir"], f"{index:02d}.bin"),
                    progress=report, progress_every=job["progress_every"])
                result.update(letter=letter, files=files)
            finally:
                result["read"] = source.tell()
    except EnvelopeError as exc:
        result["error"] = exc.code
    except OSError:
        result["error"] = "storage"
    result["elapsed"] = time.monotonic() - started
    return result


class _Counted:
    """A stream that cannot seek (a pipe), with tell() counting what was read: progress needs it."""

    def __init__(self, raw):
        self._raw, self._read = raw, 0

    def seekable(self):
        return False

    def tell(self):
        return self._read

    def readinto(self, view):
        n = self._raw.readinto(view) or 0
        self._read += n
        return n

    def read(self, n=-1):
        data = self._raw.read(n) or b""
        self._read += len(data)
        return data


class OpeningPool:
    """Runs `open_bid` jobs on `processes` workers; `result(bid)` waits for one, relaying progress."""

    def __init__(self, processes):
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([__name__])
        self._processes = processes
        # A SimpleQueue writes each report to the pipe before put() returns (a Queue's feeder thread may
        # send it after the bid's result): a bid's reports are all readable once its result is in.
        self._queue = self._context.SimpleQueue()
        self._jobs, self._futures, self._restarts = {}, {}, 0
        self._executor = self._new_executor()

    def _new_executor(self):
        return ProcessPoolExecutor(self._processes, mp_context=self._context, initializer=_init_worker,
                                   initargs=(self._queue,))

    def submit(self, jobs):
        for job in jobs:
            self._jobs[job["bid"]] = job
            self._futures[job["bid"]] = self._executor.submit(open_bid, job)

    def result(self, bid, on_progress, fresh_dir):
        """The result of `bid`'s job. `fresh_dir(bid)` names a new folder for a job given again after a
        worker died (whatever the dead worker half wrote stays in its own folder, discarded later)."""
        while True:
            try:
                result = self._futures[bid].result(timeout=POLL_SECONDS)
            except FutureTimeout:
                self._relay(on_progress)
                continue
            except BrokenProcessPool:
                self._restart(fresh_dir)
                continue
            self._relay(on_progress)
            del self._jobs[bid], self._futures[bid]
            return result

    def _relay(self, on_progress):
        while not self._queue.empty():
            on_progress(*self._queue.get())

    def _restart(self, fresh_dir):
        """A worker died: every job not finished goes to a new pool, each into a new folder."""
        self._restarts += 1
        if self._restarts > MAX_RESTARTS:
            raise BrokenProcessPool(f"the opening's workers died {self._restarts} times")
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new_executor()
        for bid, job in self._jobs.items():
            future = self._futures[bid]
            if future.done() and not future.cancelled() and future.exception() is None:
                continue  # finished before the break: its files are whole
            job = {**job, "out_dir": fresh_dir(bid)}
            self._jobs[bid] = job
            self._futures[bid] = self._executor.submit(open_bid, job)

    def close(self, abort=False):
        """Shut the pool down; on `abort` (the run failed) its workers are stopped now rather than left
        to finish bids that nobody will record."""
        workers = list((getattr(self._executor, "_processes", None) or {}).values())
        self._executor.shutdown(wait=not abort, cancel_futures=True)
        if abort:
            for process in workers:
                process.terminate()
        self._queue.close()
