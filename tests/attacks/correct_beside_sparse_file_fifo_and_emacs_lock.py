"""A correct solution beside a 2 GiB sparse file, a named pipe and the dangling `.#linear_svm.py`
link Emacs leaves while a buffer is modified: full marks, with a note for the file and the pipe.

layout: yes
score: full
expect: lib/pipe is a named pipe (FIFO)
"""
import os


def arrange(lib, context):
    (lib / "weights.bin").touch()
    os.truncate(lib / "weights.bin", 2 << 30)
    os.mkfifo(lib / "pipe")
    (lib / ".#linear_svm.py").symlink_to("student@laptop.4242:1764800000")
