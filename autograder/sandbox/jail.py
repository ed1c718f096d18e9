"""Root-only launcher: give the worker a private, minimal view of the machine, then drop to a
dedicated unprivileged uid and exec it.

Run by `Sandbox` (as root) as

    unshare --mount --net --pid --fork --kill-child python -I -S jail.py SPEC_JSON

so it starts as PID 1 of new mount, network and PID namespaces. It builds a new root on a
tmpfs that holds only what Python needs, read-only: /usr (and the /bin, /lib... symlinks into
it), /etc, the interpreter's prefix (with numpy), /dev/{null,zero,random,urandom}, a fresh
/proc, the worker's own files, and the submission copied into a size-limited tmpfs owned by the
worker's uid. Nothing else exists there: not the course (solutions/, hidden checks), not other
students' folders, not the results. The network namespace has no interface but a down
loopback. When this process (PID 1 of the namespace) dies, the kernel kills every process in
it, so no child of the student's code outlives the worker.

SPEC_JSON: {"newroot", "readonly": [paths], "worker_dir", "submission_source", "submission",
            "tmpfs_bytes", "uid", "rlimits": {name: value}, "argv": [...]}
"""
import ctypes
import json
import os
import resource
import shutil
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
DEVICES = ("null", "zero", "random", "urandom")

libc = ctypes.CDLL(None, use_errno=True)


def mount(source, target, fstype, flags, data=None):
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def bind_readonly(source, newroot, nodev=True):
    target = newroot + source
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (MS_NODEV if nodev else 0)
    mount(None, target, None, flags)


def build_root(spec):
    newroot = spec["newroot"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)           # nothing below propagates outside
    mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    for path in spec["readonly"]:
        if os.path.islink(path):                            # /bin -> usr/bin on merged-/usr systems
            os.symlink(os.readlink(path), newroot + path)
        elif os.path.exists(path):
            bind_readonly(path, newroot)
    for device in DEVICES:
        bind_readonly(f"/dev/{device}", newroot, nodev=False)
    os.makedirs(newroot + "/proc")
    mount("proc", newroot + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    bind_readonly(spec["worker_dir"], newroot)
    uid = spec["uid"]
    submission = newroot + spec["submission"]
    os.makedirs(submission)
    mount("tmpfs", submission, "tmpfs", MS_NOSUID | MS_NODEV,
          f"mode=700,uid={uid},gid={uid},size={spec['tmpfs_bytes']}")
    source_lib = os.path.join(spec["submission_source"], "lib")
    if os.path.isdir(source_lib):
        shutil.copytree(source_lib, os.path.join(submission, "lib"))
    for folder, dirs, files in os.walk(submission):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def drop_privileges(spec):
    uid = spec["uid"]
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def main():
    spec = json.loads(sys.argv[1])
    build_root(spec)
    os.chroot(spec["newroot"])
    os.chdir(spec["submission"])
    drop_privileges(spec)
    os.execv(spec["argv"][0], spec["argv"])


if __name__ == "__main__":
    main()
