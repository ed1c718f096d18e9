"""Jail launcher: give the worker a private, minimal view of the machine, then drop every
privilege and exec it.

Run by `Sandbox` as root ("root jail") as

    unshare --mount --net --pid --ipc --fork --kill-child python -I -S jail.py SPEC_JSON

or, by a normal user ("user jail"), with `--user --map-root-user` in front of the namespaces, so
it starts as PID 1 of new mount, network, PID and IPC namespaces (as root of a new user namespace
in the second case, mapped to the grader's own uid). It builds a new root on a
tmpfs that holds only what Python needs, read-only: /usr (and the /bin, /lib... symlinks into
it), /etc, the interpreter's prefix (with numpy), /dev/{null,zero,random,urandom}, a fresh
/proc, the worker's own files, and the submission copied into a size-limited tmpfs owned by the
worker's uid (only the files the grader's scan listed, read without following a link:
submission.py). Nothing else exists there: not the course (solutions/, hidden checks), not other
students' folders, not the results; a hidden path inside a bound folder (the grader's package in
site-packages, a course under /usr/local) is covered by an empty read-only mount ("masks"). The network namespace has
no interface but a down
loopback. When this process (PID 1 of the namespace) dies, the kernel kills every process in
it, so no child of the student's code outlives the worker; and this process gets SIGKILL when
`unshare` (and so the grader) dies, set again after the change of uid that clears it.

Root jail: the worker becomes a pool uid (setuid), which drops every capability. User jail: only
the grader's uid is mapped, so the worker stays uid 0 of its user namespace ("uid" is 0), and
before the exec every capability is dropped from its bounding, effective, permitted and
inheritable sets with SECBIT_NOROOT locked, so neither it nor anything it runs can unmount a mask
or leave the chroot.

SPEC_JSON: {"mode": "root" | "user", "newroot", "readonly": [paths], "masks": [paths], "worker_dir",
            "submission_source" (the student's
            lib/), "manifest" (a JSON file: submission.Manifest.to_json), "submission",
            "tmpfs_bytes", "uid", "rlimits": {name: value}, "argv": [...]}
"""
import ctypes
import json
import os
import resource
import sys

# -I leaves this folder off sys.path; submission.py (standard library only) sits beside this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from submission import Manifest, SubmissionRefused, copy_manifest  # noqa: E402

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 1, 24, 28, 38
# SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP, SECBIT_KEEP_CAPS and their locks, SECBIT_NO_CAP_AMBIENT_RAISE(_LOCKED)
SECUREBITS_LOCKED_DOWN = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80
LINUX_CAPABILITY_VERSION_3 = 0x20080522
LAST_CAPABILITY = 63      # dropping a capability this kernel lacks fails harmlessly (EINVAL)
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


def mask(path, newroot):
    """Cover `path` inside the new root with an empty read-only tmpfs (a file: with /dev/null)."""
    target = newroot + path
    if os.path.isdir(path) and not os.path.islink(path):
        mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=000,size=4k")
    elif os.path.lexists(target):
        mount("/dev/null", target, None, MS_BIND)
        mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def build_root(spec):
    newroot = spec["newroot"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)           # nothing below propagates outside
    mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
    for path in spec["readonly"]:
        if os.path.islink(path):                            # /bin -> usr/bin on merged-/usr systems
            os.symlink(os.readlink(path), newroot + path)
        elif os.path.exists(path):
            bind_readonly(path, newroot)
    for path in spec.get("masks", ()):
        mask(path, newroot)
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
    with open(spec["manifest"]) as f:
        manifest = Manifest.from_json(json.load(f))
    copy_manifest(spec["submission_source"], manifest, os.path.join(submission, "lib"))
    for folder, dirs, files in os.walk(submission):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


def drop_capabilities():
    """User jail: stay uid 0 of the user namespace, but without any capability, now or after exec."""
    for capability in range(LAST_CAPABILITY + 1):
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    if libc.prctl(PR_SET_SECUREBITS, SECUREBITS_LOCKED_DOWN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "cannot lock the securebits of the user jail")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()        # effective, permitted, inheritable: two words each, all 0
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "cannot drop the capabilities of the user jail")


def drop_privileges(spec):
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if spec.get("mode", "root") == "root":
        uid = spec["uid"]
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    else:
        drop_capabilities()
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL; the change of credentials cleared it


def main():
    spec = json.loads(sys.argv[1])
    try:
        build_root(spec)
    except SubmissionRefused as refused:  # the grader reports the worker's last output
        sys.exit(str(refused))
    os.chroot(spec["newroot"])
    os.chdir(spec["submission"])
    drop_privileges(spec)
    os.execv(spec["argv"][0], spec["argv"])


if __name__ == "__main__":
    main()
