"""A correct solution beside a link to /dev/zero (a copy that follows it writes until the disk
is full): left out with a note, full marks.

layout: yes
score: full
expect: lib/zeros.npy is a symbolic link
"""


def arrange(lib, context):
    (lib / "zeros.npy").symlink_to("/dev/zero")
