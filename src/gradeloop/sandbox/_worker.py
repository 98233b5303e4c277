"""A sandbox worker: isolates itself, then serves many calls of user code over its pipes.

Started by `gradeloop.sandbox.pool` as `python -I -X utf8 _worker.py CONFIG_JSON` with an empty
environment, a new session and no inherited descriptors. Standard library only, one file: in
isolated mode the interpreter puts neither this folder nor the user's site on `sys.path`.

Protocol: frames of a 4-byte big-endian length and UTF-8 JSON. The worker first writes
`{"init_pid": N}` (namespace mode: the outer pid of the process that runs the code) and then
`{"ready": true, "isolation": {...}}` or `{"ready": false, "error": "..."}`. Each request
`{"id", "code", "function", "args", "kwargs", "cpu"}` gets one reply
`{"id", "ok", "result" | "error", "traceback", "log", "cpu"}`.

Namespace mode (the default): the process unshares mount, PID, network (unless allowed), IPC
and UTS namespaces (root directly; anyone else inside a new user namespace), then forks the
process that becomes PID 1 of the new PID namespace and serves. That process makes the whole
file system read-only, mounts a private tmpfs on /tmp (its working folder), a fresh /proc that
shows only its own processes, hides the configured paths under empty mounts, drops every
privilege (root becomes nobody, 65534) and sets the resource limits. Killing it kills every
process it or the user's code started, detached or not: that is what keeps waits bounded.
"""
import ctypes
import io
import json
import os
import resource
import select
import shutil
import signal
import stat
import struct
import sys
import threading
import time
import traceback

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY, SYS_MOUNT_SETATTR = -100, 0x8000, 0x1, 442
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECUREBITS = 1, 4, 38, 28
NOBODY = 65534
MAX_FRAME = 64 << 20

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    enc = (lambda s: None if s is None else s.encode())
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {fstype or 'bind'} on {target}")


def _prctl(option, arg):
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def _readonly(path):
    """Every mount at and under `path` read-only (mount_setattr, Linux 5.12+).

    Unlike a remount, it changes only that flag, so mounts whose nosuid/nodev/noexec are
    locked (inherited into a user namespace) accept it too.
    """
    attr = struct.pack("QQQQ", MOUNT_ATTR_RDONLY, 0, 0, 0)
    buf = ctypes.create_string_buffer(attr, len(attr))
    _libc.syscall.restype = ctypes.c_long
    ret = _libc.syscall(ctypes.c_long(SYS_MOUNT_SETATTR), ctypes.c_int(AT_FDCWD), path.encode(),
                        ctypes.c_uint(AT_RECURSIVE), buf, ctypes.c_size_t(len(attr)))
    _check(ret, f"make {path} read-only (mount_setattr)")


def _drop_capabilities():
    """No capabilities left, even inside our own user namespace."""
    header = struct.pack("Ii", 0x20080522, 0)
    data = ctypes.create_string_buffer(24)
    _check(_libc.capset(ctypes.create_string_buffer(header, 8), data), "drop capabilities")


def _write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


# -- frames --------------------------------------------------------------------------------

def send(fd, obj):
    data = json.dumps(obj, default=_jsonable).encode("utf-8", "surrogatepass")
    data = struct.pack(">I", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive(fd):
    head = _read_exact(fd, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    if n > MAX_FRAME:
        raise ValueError("request frame too large")
    body = _read_exact(fd, n)
    return None if body is None else json.loads(body.decode("utf-8", "surrogatepass"))


def _jsonable(o):
    """numpy scalars and the like become numbers; anything else its repr."""
    if hasattr(o, "__float__"):
        try:
            return float(o)
        except Exception:
            pass
    return repr(o)


# -- isolation -----------------------------------------------------------------------------

def unshare(cfg):
    """Enter new namespaces; returns the uid/gid the code will run as. Raises OSError."""
    if not sys.platform.startswith("linux"):
        raise OSError(38, f"the sandbox's namespaces need Linux, not {sys.platform}")
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if not cfg["network"]:
        flags |= CLONE_NEWNET
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        try:
            _check(_libc.unshare(flags), "unshare")
            return {"uid": NOBODY, "gid": NOBODY, "drop_root": True}
        except OSError:
            pass  # root without CAP_SYS_ADMIN (a container): try a user namespace, as nobody if we may
        # nobody must still reach the interpreter: without CAP_SYS_ADMIN out here, no mount can
        # re-expose what lies in a folder closed to others (e.g. an interpreter under /root)
        if all(_reachable_by_others(p) for p in cfg["expose"]):
            try:
                _become_nobody()
                uid = gid = NOBODY
            except OSError:
                pass  # no CAP_SETUID either: root mapped to root (the process limit is then not enforced)
    try:
        _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare")
    except OSError as exc:
        raise OSError(exc.errno, "cannot create the sandbox namespaces (user, mount, PID"
                      + ("" if cfg["network"] else ", network") + f"): {os.strerror(exc.errno)}. "
                      "Unprivileged user namespaces are off here (sysctl kernel.unprivileged_userns_clone, "
                      "user.max_user_namespaces, or a container's seccomp profile)") from None
    _map_self(uid, gid)
    return {"uid": uid, "gid": gid, "drop_root": False}


def _reachable_by_others(path):
    """Whether a user with no rights on anything could list `path` (every folder up to it o+x)."""
    cur = ""
    for part in path.strip("/").split("/"):
        cur += "/" + part
        try:
            if not os.stat(cur).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return True  # gone: nothing to reach
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return True


def _become_nobody():
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    _prctl(PR_SET_DUMPABLE, 1)  # a uid change makes /proc/self root's; we still write our maps


def _map_self(uid, gid):
    """Map our own ids into the user namespace we just entered."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _hidden_ancestor(path, uid):
    """The highest ancestor of `path` the sandbox user could not enter (root mode), else None."""
    if uid != NOBODY:
        return None
    parts, cur = path.strip("/").split("/"), ""
    for part in parts[:-1]:
        cur += "/" + part
        try:
            if not os.stat(cur).st_mode & stat.S_IXOTH:
                return cur
        except OSError:
            return None
    return None


def _under(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def open_exposed(cfg):
    """Handles on the folders to keep visible, opened while we may still reach them all."""
    expose = []
    for p in sorted(set(cfg["expose"])):
        try:
            expose.append((p, os.open(p, os.O_PATH | os.O_DIRECTORY)))
        except OSError:
            pass
    return expose


def isolate_filesystem(cfg, who, expose):
    """Read-only everything, a private /tmp, hidden paths, a private /proc (run as PID 1)."""
    uid, gid = who["uid"], who["gid"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _readonly("/")
    tmp_opts = f"size={cfg['disk_mb']}m,mode=0700,uid={uid},gid={gid}"
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts)
    covers = ["/tmp"]
    for a in sorted({a for p, _ in expose if (a := _hidden_ancestor(p, uid))}):
        if not any(_under(a, c) for c in covers):
            _mount("tmpfs", a, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
            covers.append(a)
    bound = []
    for p, fd in expose:  # sorted: a folder comes before what lies inside it
        if any(_under(p, c) for c in covers) and not any(_under(p, b) for b in bound):
            os.makedirs(p, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", p, None, MS_BIND | MS_REC)
            _readonly(p)
            bound.append(p)
        os.close(fd)
    for c in covers[1:]:
        _readonly(c)
    for p in cfg["hide"]:
        if os.path.isdir(p):
            _mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
        elif os.path.exists(p):
            _mount("/dev/null", p, None, MS_BIND)
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        proc = "private"
    except OSError:  # a container that masks parts of /proc refuses a new one: hide it all
        _mount("tmpfs", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k")
        proc = "hidden"
    os.mkdir("/tmp/work", 0o700)
    os.chown("/tmp/work", uid, gid)
    return proc


def drop_privileges(who):
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    if who["drop_root"]:
        _become_nobody()
        try:  # a user namespace of its own, so the process limit counts only this sandbox
            _check(_libc.unshare(CLONE_NEWUSER), "unshare user")
            _map_self(NOBODY, NOBODY)
        except OSError:
            pass
        _prctl(PR_SET_DUMPABLE, 0)
    elif os.getuid() == 0:  # root mapped to root in a user namespace: root gains nothing on exec
        _prctl(PR_SET_SECUREBITS, 0x2F)
    _drop_capabilities()


def _cpu_exceeded(signum, frame):
    # PID 1 of a namespace ignores SIGXCPU's default action, so the limit is enforced here
    os._exit(128 + signal.SIGXCPU)


def set_limits(cfg):
    """Hard limits the code cannot raise. Returns the names the system refused (limits mode only:
    with namespaces, on Linux, a refused limit is a failed set-up)."""
    signal.signal(signal.SIGXCPU, _cpu_exceeded)
    mb = 1 << 20
    limits = [("memory", resource.RLIMIT_AS, cfg["memory_mb"] * mb),
              ("file size", resource.RLIMIT_FSIZE, cfg["disk_mb"] * mb),
              ("open files", resource.RLIMIT_NOFILE, cfg["open_files"]), ("core", resource.RLIMIT_CORE, 0),
              ("cpu", resource.RLIMIT_CPU, int(cfg["worker_cpu_seconds"]))]
    if cfg["isolation"] == "namespaces":
        limits.append(("processes", resource.RLIMIT_NPROC, cfg["processes"]))
    refused = []
    for name, which, value in limits:
        try:
            soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value))
        except (OSError, ValueError):
            if cfg["isolation"] == "namespaces":
                raise OSError(f"cannot set the {name} limit") from None
            refused.append(name)  # e.g. macOS refuses an address-space limit
    return refused


# -- serving -------------------------------------------------------------------------------

_loaded: dict = {}  # code reference (as JSON) -> module namespace


def load(code):
    """The module namespace for a code reference, loaded once per worker."""
    key = json.dumps(code, sort_keys=True)
    if key not in _loaded:
        if "module" in code:
            import importlib
            _loaded[key] = vars(importlib.import_module(code["module"]))
        else:
            filename = code.get("filename") or "<sandbox>"
            ns = {"__name__": code.get("name") or "__sandbox__", "__file__": filename, "__builtins__": __builtins__}
            exec(compile(code["source"], filename, "exec"), ns)
            _loaded[key] = ns
    return _loaded[key]


def _cpu_used():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def call(req, cfg):
    used = _cpu_used()
    soft = min(int(cfg["worker_cpu_seconds"]), int(used + float(req.get("cpu") or cfg["cpu_seconds"])) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, int(cfg["worker_cpu_seconds"])))
    log = io.StringIO()
    sys.stdout = sys.stderr = log
    try:
        fn = load(req["code"]).get(req["function"])
        if not callable(fn):
            raise NameError(f"the code defines no callable {req['function']!r}")
        result = fn(*req.get("args") or (), **req.get("kwargs") or {})
        reply = {"ok": True, "result": result}
    except BaseException as exc:  # everything is reported, SystemExit and KeyboardInterrupt included
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000], "traceback": "".join(tb[-4:])[-3000:]}
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    reply["log"] = log.getvalue()[-4000:]
    reply["cpu"] = _cpu_used()
    return reply


def reset(workdir, environ, path):
    """Undo what one call could leave for the next: processes, files, cwd, environment, sys.path."""
    if os.getpid() == 1:  # PID 1 of our own namespace: -1 means every other process in it
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        while True:
            try:
                if os.waitpid(-1, 0)[0] <= 0:
                    break
            except ChildProcessError:
                break
            except OSError:
                break
    os.chdir(workdir)
    for entry in os.scandir(workdir):
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path


def serve(rfd, wfd, cfg, workdir):
    environ, path = dict(os.environ), list(sys.path)
    while True:
        req = receive(rfd)
        if req is None:
            return
        reply = call(req, cfg)
        try:  # before replying, so the next call never meets what this one left behind
            reset(workdir, environ, path)
        except Exception:
            reply["retire"] = True  # e.g. the code removed the working folder: serve no more
        reply["id"] = req.get("id")
        try:
            send(wfd, reply)
        except (TypeError, ValueError) as exc:
            send(wfd, {"id": req.get("id"), "ok": False, "error": f"result cannot be sent as JSON: {exc}"[:500],
                       "log": reply.get("log", ""), "cpu": reply.get("cpu"), "retire": reply.get("retire")})
        if reply.get("retire"):
            return


def _orphan_watch(parent, on_orphan):
    """Call `on_orphan` once the parent that started us is gone (checked twice a second)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    on_orphan()


def _outer_wait(pid):
    """The outer process: wait for PID 1 of the namespace; kill it if our parent dies first.

    No threads here: after unshare(CLONE_NEWPID) this process cannot create any.
    """
    parent = os.getppid()
    try:
        poller = select.poll()
        poller.register(os.pidfd_open(pid), select.POLLIN)
        wait = lambda: poller.poll(500)  # noqa: E731  returns as soon as PID 1 exits
    except (AttributeError, OSError):
        wait = lambda: time.sleep(0.5)  # noqa: E731
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if os.getppid() != parent:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)
            return 128 + signal.SIGKILL
        wait()


def main():
    cfg = json.loads(sys.argv[1])
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.path[:0] = cfg["paths"]
    info = {"mode": cfg["isolation"], "network": cfg["network"] if cfg["isolation"] == "namespaces" else True}
    if cfg["isolation"] == "namespaces":
        try:
            who = unshare(cfg)
        except OSError as exc:
            send(wfd, {"ready": False, "error": str(exc)})
            return
        expose = open_exposed(cfg)  # in the new mount namespace: a bind source must live there
        sync_r, sync_w = os.pipe()
        pid = os.fork()
        if pid:  # the outer process: reports the pid, then only waits
            os.close(sync_r)
            send(wfd, {"init_pid": pid})
            os.write(sync_w, b"x")
            os.close(sync_w)
            os.close(rfd)
            os.close(wfd)
            os._exit(_outer_wait(pid))
        os.close(sync_w)
        os.read(sync_r, 1)
        os.close(sync_r)
        try:
            info["proc"] = isolate_filesystem(cfg, who, expose)
            workdir = "/tmp/work"
            os.chdir(workdir)
            drop_privileges(who)
            set_limits(cfg)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            info["uid"] = who["uid"]
        except OSError as exc:
            send(wfd, {"ready": False, "error": f"sandbox set-up failed: {exc}"})
            os._exit(1)
    else:  # no namespace to take our processes down with us: leave when the parent dies
        threading.Thread(target=_orphan_watch, args=(os.getppid(), lambda: os._exit(1)), daemon=True).start()
        workdir = cfg["workdir"]
        os.chdir(workdir)
        info["limits_refused"] = set_limits(cfg)
    os.environ.clear()
    os.environ.update(cfg["env"])
    info["workdir"] = workdir
    send(wfd, {"ready": True, "isolation": info})
    serve(rfd, wfd, cfg, workdir)
    os._exit(0)


if __name__ == "__main__":
    main()
