"""nbgrader's instructor-only markers, reused in .py files.

`### BEGIN SOLUTION` / `### END SOLUTION` enclose the student's part of a reference function
(solutions/); `### BEGIN HIDDEN TESTS` / `### END HIDDEN TESTS` enclose the hidden checks of an
assignment's checks module (autograder/checks/). Releases remove both kinds of region.
"""
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


class MarkerError(ValueError):
    pass


def regions(lines, begin, end, filename="<source>"):
    """[(first, last)] 0-based line indices of each begin..end marker pair, markers included."""
    found, start = [], None
    for index, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                raise MarkerError(f"{filename}:{index + 1}: '{begin}' inside the region opened at "
                                  f"line {start + 1}; close it with '{end}' first.")
            start = index
        elif text == end:
            if start is None:
                raise MarkerError(f"{filename}:{index + 1}: '{end}' without a '{begin}' before it.")
            found.append((start, index))
            start = None
    if start is not None:
        raise MarkerError(f"{filename}:{start + 1}: '{begin}' is never closed by '{end}'.")
    return found


def in_regions(lineno, spans):
    """Whether 1-based `lineno` falls inside one of the 0-based `regions` spans."""
    return any(first < lineno <= last + 1 for first, last in spans)
