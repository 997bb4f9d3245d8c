"""Start a submission's process with as little power as the machine allows, and end all of it.

What :class:`Sandbox` does for every process it starts (Linux):

* a new session and process group, stdin from /dev/null, a minimal
  environment (no ``PYTHONPATH``, no teacher paths, one BLAS thread);
* resource limits: no core files, files at most 64 MiB, address space at most
  ``memory`` bytes;
* when the grader runs as root (as on Gradescope): its own user and group
  (a numeric id no account and no running process uses), no supplementary
  groups, at most 256 processes; and, where the kernel lets root make a mount
  namespace, an empty read-only folder mounted over every path in ``hide``
  (the reference solution, other importable copies of minigrad).  A folder
  the new user could not enter on the way to a path it needs (Python under
  root's 0700 home) is replaced in that namespace by an empty one holding only
  the needed path;
* afterwards :meth:`Sandbox.end` kills every process it left: all processes
  of that user (which also finds ``setsid`` and double-forked ones), else the
  session's.

As root, the submission can write only where everyone may (``/tmp``) and in the
folder the grader hands it; it can read neither the grader's results nor a
hidden path.  Without root it runs as the grader's own user: it still gets a
fresh process, the limits and the kill, but it could read and write what the
grader can (see docs/assignments.md: run the grader as root or in a container).
"""
import ctypes
import ctypes.util
import os
import pwd
import resource
import signal
import subprocess
import time

CLONE_NEWNS, MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = \
    0x20000, 1, 2, 4, 8, 0x1000, 0x4000, 1 << 18
FIRST_UID, LAST_UID = 61000, 64999
_libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True) if os.name == 'posix' else None


def _proc_ids():
    return [int(p) for p in os.listdir('/proc') if p.isdigit()]


def _status(pid):
    """(uid, state) of a live process, or None."""
    try:
        with open(f'/proc/{pid}/status', encoding='ascii', errors='replace') as f:
            fields = dict(line.split(':', 1) for line in f if ':' in line)
        return int(fields['Uid'].split()[0]), fields['State'].split()[0]
    except (OSError, KeyError, ValueError, IndexError):
        return None


def processes_of(uid):
    """Pids of the live (not zombie) processes whose real user is ``uid`` (an int or a range)."""
    uids = uid if isinstance(uid, range) else range(uid, uid + 1)
    found = []
    for pid in _proc_ids():
        s = _status(pid)
        if s and s[0] in uids and s[1] != 'Z':
            found.append(pid)
    return found


def _session_members(sid):
    found = []
    for pid in _proc_ids():
        try:
            with open(f'/proc/{pid}/stat', encoding='ascii', errors='replace') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            if int(fields[3]) == sid and fields[0] != 'Z':
                found.append(pid)
        except (OSError, IndexError, ValueError):
            pass
    return found


def free_uid():
    """A user id no account names and no process runs as (from a range picked by our pid)."""
    span = LAST_UID - FIRST_UID + 1
    for k in range(span):
        uid = FIRST_UID + (os.getpid() + k) % span
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        if not processes_of(uid):
            return uid
    raise RuntimeError("sandbox: no free user id in the range")


def can_hide():
    """Whether this process may make a mount namespace (root with CAP_SYS_ADMIN), tried in a child."""
    if os.name != 'posix' or os.geteuid() != 0 or _libc is None:
        return False
    pid = os.fork()
    if pid == 0:
        ok = _libc.unshare(CLONE_NEWNS) == 0 and \
            _libc.mount(None, b'/', None, MS_REC | MS_PRIVATE, None) == 0
        os._exit(0 if ok else 1)
    return os.waitpid(pid, 0)[1] == 0


def _outermost(paths):
    """Real paths, without those inside another one of them."""
    real = sorted({os.path.realpath(p) for p in paths})
    return [p for p in real if not any(p.startswith(q.rstrip('/') + '/') for q in real if q != p)]


def blocked_ancestor(path):
    """The first folder on the way to ``path`` that other users cannot enter, or None."""
    current = '/'
    for part in os.path.realpath(path).strip('/').split('/'):
        current = os.path.join(current, part)
        try:
            if os.path.isdir(current) and not os.stat(current).st_mode & 0o001:
                return current
        except OSError:
            return None
    return None


class Sandbox:
    """Where a submission's processes run; see the module docstring.

    ``hide``: folders to cover; ``need``: folders the submission's process must
    reach (Python's prefix); ``stage``: an empty folder the grader owns, used
    to re-mount those; ``user``: the user id (default: a free one).
    """

    def __init__(self, hide=(), need=(), stage=None, memory=8 * 2 ** 30, user=None):
        self.root = os.name == 'posix' and os.geteuid() == 0
        self.uid = (user if user is not None else free_uid()) if self.root else None
        self.gid, self.memory, self.problem = self.uid, memory, ''
        namespace = self.root and can_hide()
        self.hide = _outermost(p for p in hide if os.path.isdir(p)) if namespace else []
        self.expose = [(p, blocked_ancestor(p)) for p in _outermost(need)]
        self.expose = [(p, b) for p, b in self.expose if b is not None] if self.uid is not None else []
        if self.expose and not (namespace and stage):
            self.uid = self.gid = None
            self.problem = (f"cannot run the submission as another user: it could not reach "
                            f"{self.expose[0][0]} (no mount namespace here)")
            self.expose = []
        self.stage = stage

    def env(self, home):
        # MINIGRAD_FAST / MINIGRAD_CUDA_KERNELS = 0: the plain kernels, the students' own code, on both sides
        return {'PATH': '/usr/local/bin:/usr/bin:/bin', 'LANG': 'C.UTF-8', 'HOME': home, 'TMPDIR': home,
                'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
                'MINIGRAD_NO_PROGRESS': '1', 'PYTHONDONTWRITEBYTECODE': '1',
                'MINIGRAD_FAST': '0', 'MINIGRAD_CUDA_KERNELS': '0'}

    def give(self, path):
        """Let the submission's user write to ``path`` (a folder the grader made for it)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.gid)

    def _enter(self):
        """Runs in the new process between fork and exec: limits, hiding, then the user switch."""
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 2 ** 20, 64 * 2 ** 20))
        if self.memory:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        if self.hide or self.expose:
            if _libc.unshare(CLONE_NEWNS) != 0 or _libc.mount(None, b'/', None, MS_REC | MS_PRIVATE, None) != 0:
                os._exit(97)
            self._reexpose()
            for path in self.hide:
                if _libc.mount(b'none', path.encode(), b'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                               b'size=4k,mode=0555') != 0:
                    os._exit(97)
        if self.uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)

    def _reexpose(self):
        """Cover each blocked folder with an empty open one that holds only the needed path (bind mounts)."""
        staged = []
        for k, (path, _) in enumerate(self.expose):
            stage = os.path.join(self.stage, str(k))
            os.makedirs(stage, exist_ok=True)
            if _libc.mount(path.encode(), stage.encode(), None, MS_BIND | MS_REC, None) != 0:
                os._exit(97)
            staged.append(stage)
        for blocked in sorted({b for _, b in self.expose}):
            if _libc.mount(b'none', blocked.encode(), b'tmpfs', MS_NOSUID | MS_NODEV, b'size=64k,mode=0755') != 0:
                os._exit(97)
        for (path, _), stage in zip(self.expose, staged):
            os.makedirs(path, mode=0o755, exist_ok=True)
            if _libc.mount(stage.encode(), path.encode(), None, MS_BIND | MS_REC, None) != 0:
                os._exit(97)

    def start(self, cmd, home, pass_fds=()):
        """Popen of ``cmd``: stdout and stderr merged into one pipe (``proc.stdout``)."""
        return subprocess.Popen(cmd, cwd=home, env=self.env(home), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=pass_fds,
                                start_new_session=True, preexec_fn=self._enter, close_fds=True)

    def end(self, proc):
        """Kill ``proc`` and everything it started; returns how many processes had to be killed."""
        killed = 0
        for _ in range(200):
            if self.uid is not None:
                pids = processes_of(self.uid)
            else:
                pids = _session_members(proc.pid)
                if proc.poll() is None:
                    pids.append(proc.pid)
            if not pids:
                break
            for pid in set(pids):
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except OSError:
                    pass
            if proc.poll() is None:
                try:
                    proc.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.005)
        proc.wait()
        return killed


class Unconfined(Sandbox):
    """The same interface for the grader's own trusted processes (the reference run): no limits."""

    def __init__(self):
        self.root, self.uid, self.gid, self.hide, self.expose, self.memory = False, None, None, [], [], 0

    def env(self, home):
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        # the same (plain) kernels as the submission's side, whatever the caller's
        env.update(OPENBLAS_NUM_THREADS='1', MINIGRAD_NO_PROGRESS='1', PYTHONDONTWRITEBYTECODE='1',
                   MINIGRAD_FAST='0', MINIGRAD_CUDA_KERNELS='0')
        return env

    def _enter(self):
        pass
