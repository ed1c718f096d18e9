"""Instructor-only parts of the autograder: grading with hidden checks, releases, stubs.

Never shipped to students (a release carries only the student part: checks without their
hidden region, `check`, the sandbox).
"""
