"""Give other users search permission (o+x) on every folder above this interpreter, its packages
and the given paths, so that a test can run the grader as a normal user (`nobody`).

    python3 .ci/let_others_reach.py PATH...

CI only: a root CI machine keeps Python under /root (mode 0700). Nothing is made readable.
"""
import os
import site
import sys
from pathlib import Path

for base in {sys.base_prefix, sys.prefix, *site.getsitepackages(), *sys.argv[1:]}:
    for folder in [Path(base).resolve(), *Path(base).resolve().parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            os.chmod(folder, mode | 0o001)
            print(f"o+x {folder}")
