"""The submission reader: what of a student's `lib/` the worker gets, read and never followed.

    manifest = scan_submission(lib_dir)           # lstat only; SubmissionRefused when unusable
    copy_manifest(lib_dir, manifest, dest_lib)    # exactly those files, O_NOFOLLOW at every step

`scan_submission` walks `lib/` without following a link at any level and keeps regular files
only. A symbolic link, named pipe, device or socket is left out with a one-line note (a link
could lead to the reference, a classmate, /proc or /dev/zero; a pipe would block the copy), and
so is a compiled extension module (`*.so`, `*.pyd`: the import system would run it instead of a
.py, and the grader runs Python source only) and a non-.py file larger than
`SubmissionBounds.max_file_bytes` (a large unrelated file must not cost a correct solution its
marks). Editor and operating-system litter is ignored without a word (LITTER). A submission
over a bound on the number of entries, the depth, the total bytes or the size of one .py, or
with an ambiguous module (`lib/x.py` beside `lib/x/` or `lib/x.*.so`), is refused as a whole:
`SubmissionRefused`, whose message says what was found and what to do. Scanning stops at the
first bound passed, so a folder of 100,000 files costs no more than one at the bound.

`copy_manifest` copies exactly the scanned files, opening every path component relative to its
parent's descriptor with O_NOFOLLOW and reading at most the scanned size, so a file swapped for
a link, or one that grew or changed type after the scan, is refused rather than followed. (Where
the platform has no descriptor-relative calls, Windows, each path is checked with lstat before it
is opened instead.) A file the grader may not read refuses the submission too, saying so.

Standard library only: the jail (jail.py, run as `python -I -S`) imports this module to copy a
submission into the worker's tmpfs itself, so the grader never makes a copy of its own.
"""
import errno
import fnmatch
import os
import stat
from dataclasses import dataclass

# Editor, notebook and operating-system litter, ignored quietly wherever it is in lib/: byte
# code caches, Emacs lock files (`.#name`, usually a dangling link) and backups, Vim swap files,
# notebook checkpoints, Finder metadata. `*.pyc` also keeps sourceless byte code, which the
# import system would run instead of a .py, out of the copy.
LITTER = ("__pycache__", "*.pyc", ".#*", "*~", "#*#", ".*.sw?", ".ipynb_checkpoints", ".DS_Store")
# Compiled extension modules: the import system prefers them to a .py of the same name.
EXTENSION_SUFFIXES = (".so", ".pyd")
CHUNK = 1 << 20


class SubmissionRefused(Exception):
    """The submission cannot be graded as handed in; str(exc) is the sentence for the student."""


@dataclass(frozen=True)
class SubmissionBounds:
    """What a submission's `lib/` may hold. The defaults leave most of the jail's 256 MiB tmpfs
    (Limits.disk_bytes) to what the student's code writes while it runs.

    max_entries: files, folders, links... seen in lib/, litter included (a lib/ of a course has
                 about a dozen); over it the submission is refused.
    max_depth: folders nested below lib/ (lib/a/b is depth 2); over it, refused.
    max_total_bytes: all copied files together; over it, refused.
    max_py_bytes: one .py file; over it, refused (the code could not be graded without it).
    max_file_bytes: one file that is not a .py; over it, the file is left out with a note.
    """

    max_entries: int = 2000
    max_depth: int = 8
    max_total_bytes: int = 64 << 20
    max_py_bytes: int = 4 << 20
    max_file_bytes: int = 16 << 20


@dataclass(frozen=True)
class Manifest:
    """What to copy of a scanned lib/.

    files: ((relative POSIX path under lib/, size in bytes), ...), sorted; regular files only.
    notes: one sentence per thing left out that the student should know about.
    """

    files: tuple = ()
    notes: tuple = ()

    def to_json(self):
        """A JSON-ready dict (for the jail's spec); Manifest.from_json reverses it."""
        return {"files": [list(f) for f in self.files], "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data):
        return cls(tuple((str(path), int(size)) for path, size in data["files"]), tuple(data["notes"]))


def scan_submission(lib_dir, bounds=SubmissionBounds()):
    """The Manifest of `lib_dir` (a submission's lib/ folder), read with lstat only.

    Raises SubmissionRefused when lib_dir is missing, a symbolic link or not a folder, when a
    bound of `bounds` is passed (scanning stops there), or when a module is ambiguous. Only the
    last component of `lib_dir` is checked for a link: the folders above it are the grader's.
    """
    lib_dir = os.fspath(lib_dir)
    try:
        info = os.lstat(lib_dir)
    except FileNotFoundError:
        raise SubmissionRefused("No lib/ folder was found in the submission; hand in the assignment "
                                "folder with its lib/ inside.") from None
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionRefused("lib/ is a symbolic link; the grader does not follow links, so there was "
                                "nothing to grade. Hand in the lib/ folder itself, with your .py files in it.")
    if not stat.S_ISDIR(info.st_mode):
        raise SubmissionRefused(f"lib/ is {_kind(info.st_mode)}, not a folder; hand in the lib/ folder "
                                "with your .py files in it.")
    scan = _Scan(bounds)
    try:
        handle = _open_dir(None, lib_dir)
        try:
            scan.folder(handle, lib_dir, "", 0)
        finally:
            _close(handle)
    except OSError as exc:
        raise _unreadable(exc) from None
    return Manifest(tuple(sorted(scan.files)), tuple(sorted(scan.notes)))


def copy_manifest(lib_dir, manifest, dest_lib):
    """Copy exactly the files of `manifest` from `lib_dir` into `dest_lib` (created; it must not
    exist yet). Every component is opened relative to its parent with O_NOFOLLOW and every file
    read to at most its scanned size: a path that became a link, a file that changed type or
    size since the scan, raises SubmissionRefused. Returns the number of bytes copied."""
    lib_dir, dest_lib = os.fspath(lib_dir), os.fspath(dest_lib)
    os.makedirs(dest_lib, mode=0o755)
    root = _open_dir(None, lib_dir)
    copied = 0
    try:
        for relative, size in manifest.files:
            *folders, name = relative.split("/")
            handles, parent, parent_path = [], root, lib_dir
            try:
                for depth, folder in enumerate(folders):
                    parent_path = os.path.join(parent_path, folder)
                    parent = _open_dir(parent, parent_path, folder, "/".join(folders[:depth + 1]))
                    handles.append(parent)
                target = os.path.join(dest_lib, *folders)
                os.makedirs(target, mode=0o755, exist_ok=True)
                copied += _copy_file(parent, os.path.join(parent_path, name), name, size,
                                     os.path.join(target, name), relative)
            finally:
                for handle in handles:
                    _close(handle)
    finally:
        _close(root)
    return copied


class _Scan:
    """One walk of lib/: the files to copy, the notes, and the counts held against the bounds."""

    def __init__(self, bounds):
        self.bounds, self.files, self.notes = bounds, [], []
        self.entries = self.total = 0

    def folder(self, handle, path, prefix, depth):
        if depth > self.bounds.max_depth:
            raise SubmissionRefused(
                f"lib/{prefix} is nested {depth} folders deep, more than the {self.bounds.max_depth} the grader "
                "reads; keep your modules directly in lib/ (or in shallow packages) and hand it in again.")
        modules, packages, extensions, subfolders = {}, {}, {}, []
        for name, info in _entries(handle, path):
            self.entries += 1
            if self.entries > self.bounds.max_entries:
                raise SubmissionRefused(
                    f"lib/ holds more than {self.bounds.max_entries} files and folders, more than the grader "
                    "reads; hand in only your .py files (and the small files they need).")
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in LITTER):
                continue
            relative = prefix + name
            shown = _shown(relative)
            kind = stat.S_IFMT(info.st_mode)
            if kind == stat.S_IFDIR:
                packages[name] = relative
                subfolders.append(name)
            elif kind != stat.S_IFREG:
                self.notes.append(_left_out(shown, kind))
            elif name.endswith(EXTENSION_SUFFIXES):
                extensions.setdefault(name.split(".", 1)[0], relative)
                self.notes.append(f"lib/{shown} is a compiled extension module; the grader runs Python source "
                                  "only, so it was left out.")
            elif name.endswith(".py"):
                modules[name[:-3]] = relative
                if info.st_size > self.bounds.max_py_bytes:
                    raise SubmissionRefused(
                        f"lib/{shown} is {_size(info.st_size)}, more than the {_size(self.bounds.max_py_bytes)} "
                        "one .py file may have; keep data out of your source files and hand it in again.")
                self._add(relative, info.st_size)
            elif info.st_size > self.bounds.max_file_bytes:
                self.notes.append(f"lib/{shown} is {_size(info.st_size)}, more than the "
                                  f"{_size(self.bounds.max_file_bytes)} a file other than a .py may have in lib/, "
                                  "so it was left out.")
            else:
                self._add(relative, info.st_size)
        for stem, relative in sorted(modules.items()):
            for others, what in ((packages, "folder"), (extensions, "compiled module")):
                if stem in others:
                    raise SubmissionRefused(
                        f"lib/{_shown(relative)} and the {what} lib/{_shown(others[stem])} both define the module "
                        f"{_shown(prefix + stem)}, so it is unclear which one you mean; remove or rename one of "
                        "them and hand it in again.")
        for name in sorted(subfolders):
            sub_path = os.path.join(path, name)
            sub = _open_dir(handle, sub_path, name, prefix + name)
            try:
                self.folder(sub, sub_path, f"{prefix}{name}/", depth + 1)
            finally:
                _close(sub)

    def _add(self, relative, size):
        self.total += size
        if self.total > self.bounds.max_total_bytes:
            raise SubmissionRefused(
                f"the files in lib/ come to more than {_size(self.bounds.max_total_bytes)}, more than the grader "
                "copies; hand in only your .py files (and the small files they need).")
        self.files.append((relative, size))


# -- descriptors: relative to the parent where the platform allows it (POSIX), paths elsewhere --
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIRECTORY = getattr(os, "O_DIRECTORY", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
BINARY = getattr(os, "O_BINARY", 0)
BY_DESCRIPTOR = (os.open in os.supports_dir_fd and os.scandir in os.supports_fd
                 and os.stat in os.supports_dir_fd and NOFOLLOW != 0 and DIRECTORY != 0)


def _open_dir(parent, path, name=None, relative=""):
    """A handle on the folder `name` of `parent` (or on `path` itself when parent is None): a
    descriptor opened with O_NOFOLLOW | O_DIRECTORY, or, without descriptor-relative calls, the
    path after an lstat. A link or a non-folder there raises SubmissionRefused, naming the folder
    by `relative` (its path under lib/)."""
    if not BY_DESCRIPTOR:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise _changed(relative)
        return path
    try:
        if parent is None:
            return os.open(path, os.O_RDONLY | DIRECTORY | NOFOLLOW)
        return os.open(name, os.O_RDONLY | DIRECTORY | NOFOLLOW, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
            raise _changed(relative) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise _unreadable(exc) from None
        raise


def _close(handle):
    if isinstance(handle, int):
        os.close(handle)


def _entries(handle, path):
    """(name, lstat result) of every entry of the folder, in the order the system lists them."""
    with os.scandir(handle) as listing:
        for entry in listing:
            yield entry.name, entry.stat(follow_symlinks=False)


def _copy_file(parent, path, name, size, target, relative):
    flags = os.O_RDONLY | NOFOLLOW | NONBLOCK | BINARY
    try:
        fd = os.open(name, flags, dir_fd=parent) if isinstance(parent, int) else os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT, errno.ENXIO, errno.EISDIR, errno.ENOTDIR):
            raise _changed(relative) from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise _unreadable(exc) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            raise _changed(relative)
        with open(target, "xb") as out:
            left = size
            while left:
                chunk = os.read(fd, min(CHUNK, left))
                if not chunk:
                    raise _changed(relative)
                out.write(chunk)
                left -= len(chunk)
        if os.read(fd, 1):
            raise _changed(relative)
    finally:
        os.close(fd)
    return size


def _unreadable(exc):
    return SubmissionRefused(f"the grader could not read lib/ ({exc.strerror or exc}); make sure every file and "
                             "folder in it is readable, then hand it in again.")


def _changed(relative):
    return SubmissionRefused(f"lib/{_shown(relative)} changed while the submission was being read (it became a "
                             "link or another kind of file, or changed size); hand it in again unchanged.")


def _left_out(shown, kind):
    if kind == stat.S_IFLNK:
        return f"lib/{shown} is a symbolic link; links are not followed, so it was left out."
    return f"lib/{shown} is {_kind(kind)}; only regular files are read, so it was left out."


def _kind(mode):
    kinds = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket",
             stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFREG: "a file"}
    return kinds.get(stat.S_IFMT(mode), "a special file")


def _shown(relative):
    """The path as a person should see it: printable as it is, else quoted with escapes."""
    return relative if relative.isprintable() else ascii(relative)


def _size(size):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):.1f} {unit}"
    return f"{size} bytes"
