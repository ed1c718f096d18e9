"""Starts processes meant to outlive the grading: a setsid child and a double-forked daemon.

module: linear_svm
score: full
jail: required
"""
import os
import subprocess

subprocess.Popen(["sleep", "987654"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "987655"])
    os._exit(0)
