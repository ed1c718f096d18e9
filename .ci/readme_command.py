"""Print one of the README's commands, exactly as the README writes it, for CI to run.

    python3 .ci/readme_command.py NAME [README]

The README marks each command CI runs with an HTML comment `<!-- ci: NAME -->` (invisible when
rendered) right above its fenced block; this prints that block's lines, without its comment
lines, joined by " && " so that the first failing line fails the whole command. Exit 1 with a
sentence saying what is missing when there is no such marker or block.
"""
import re
import sys
from pathlib import Path

MARKED_BLOCK = r"<!-- ci: {name} -->\s*\n```(?:bash|sh)?\n(?P<body>.*?)```"


class MissingCommand(LookupError):
    pass


def readme_command(name, text):
    """The command of the fenced block marked `<!-- ci: name -->` in the README text `text`."""
    match = re.search(MARKED_BLOCK.format(name=re.escape(name)), text, re.S)
    if match is None:
        raise MissingCommand(f"The README has no fenced block right below a '<!-- ci: {name} -->' line; "
                             f"CI runs the README's commands from those marks, so put the mark back above the "
                             f"{name} command.")
    lines = [line.strip() for line in match["body"].splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    if not commands:
        raise MissingCommand(f"The README's '<!-- ci: {name} -->' block holds no command, only comments.")
    return " && ".join(commands)


def main(argv):
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    readme = Path(argv[1] if len(argv) == 2 else Path(__file__).resolve().parent.parent / "README.md")
    try:
        print(readme_command(argv[0], readme.read_text()))
    except MissingCommand as error:
        print(f"readme_command: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
