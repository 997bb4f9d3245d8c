"""Run the worker (:mod:`minigrad.assign.worker`) once and collect what it sends.

:func:`run_job` starts the worker in a :class:`~minigrad.assign.sandbox.Sandbox`,
reads its record pipe and its printed output at the same time, enforces the
time limits, and ends every process the job left.  It returns the validated
records in order, the output printed during each check (capped), and why the
job stopped.  The grader decides from these alone; nothing the job writes to
disk is read back.
"""
import json
import os
import selectors
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .values import ChannelError, RecordReader

WORKER, VALUES = '_minigrad_grader_worker.py', '_minigrad_grader_values.py'
OUTPUT_PER_CHECK = 2000          # characters of printed output kept per check
OUTPUT_TOTAL = 16 * 2 ** 20      # bytes read from the output pipe before the job is stopped
CHANNEL_TOTAL = 512 * 2 ** 20    # bytes of records before the job is stopped


@dataclass
class JobResult:
    records: list = field(default_factory=list)     # [(header, arrays)]
    output: dict = field(default_factory=dict)      # check index (or None: before the first) -> text
    stopped: str = ''      # '' | 'check timeout' | 'job timeout' | 'protocol: …' | 'too much output'
    current: int = None    # the check running when the job stopped (None if none)
    killed: int = 0        # processes that had to be killed at the end


def install_worker(folder):
    """Copy the worker and the wire-format module into ``folder`` (readable by everyone, owned by us)."""
    here = Path(__file__).parent
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(here / 'worker.py', folder / WORKER)
    shutil.copyfile(here / 'values.py', folder / VALUES)
    for p in (folder, folder / WORKER, folder / VALUES):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return folder


def write_job(path, **job):
    Path(path).write_text(json.dumps(job), encoding='utf-8')
    Path(path).chmod(0o644)


def run_job(sandbox, worker_dir, job_file, home, check_timeout, job_timeout, python=None):
    """Run one job; see the module docstring.  ``check_timeout`` (s, 0 = none) restarts at each 'start'."""
    read_end, write_end = os.pipe()
    cmd = [python or sys.executable, '-I', '-B', str(Path(worker_dir) / WORKER), str(job_file), str(write_end)]
    try:
        proc = sandbox.start(cmd, str(home), pass_fds=(write_end,))
    finally:
        os.close(write_end)
    result, reader = JobResult(), RecordReader()
    selector = selectors.DefaultSelector()
    selector.register(read_end, selectors.EVENT_READ, 'records')
    selector.register(proc.stdout.fileno(), selectors.EVENT_READ, 'output')
    start = check_start = time.monotonic()
    printed, exited_at = 0, None
    try:
        while selector.get_map():
            now = time.monotonic()
            if now - start > job_timeout:
                result.stopped = 'job timeout'
                break
            if check_timeout and result.current is not None and now - check_start > check_timeout:
                result.stopped = 'check timeout'
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 0.2:
                break        # the worker is gone; whatever its leftovers still hold open is not waited for
            for key, _ in selector.select(timeout=0.05):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    selector.unregister(key.fd)
                    continue
                if key.data == 'output':
                    printed += len(data)
                    if printed > OUTPUT_TOTAL:
                        result.stopped = 'too much output'
                        break
                    text = result.output.get(result.current, '')
                    if len(text) < OUTPUT_PER_CHECK:
                        result.output[result.current] = (text + data.decode('utf-8', 'replace'))[:OUTPUT_PER_CHECK]
                    continue
                try:
                    records = reader.feed(data)
                except ChannelError as exc:
                    result.stopped = f'protocol: {exc}'
                    break
                if len(reader.buffer) > CHANNEL_TOTAL:
                    result.stopped = 'protocol: too much data'
                    break
                for header, arrays in records:
                    result.records.append((header, arrays))
                    if header['type'] == 'start':
                        result.current, check_start = header['index'], time.monotonic()
                    elif header['type'] in ('values', 'error') and header['index'] == result.current:
                        result.current = None
            if result.stopped:
                break
    finally:
        result.killed = sandbox.end(proc)
        selector.close()
        os.close(read_end)
        proc.stdout.close()
    if not result.stopped and result.current is not None:
        result.stopped = 'ended'
    return result
