"""What a student wrote, made safe for where a person reads it: a terminal, a spreadsheet, a report.

A student controls their error messages (an exception's text travels back as feedback), their
folder name (the student id of a batch) and whatever their code prints. Each sink misreads
something different:

- a terminal runs control characters: ESC sequences move the cursor, recolour or erase lines,
  OSC 52 writes the clipboard, `\\r` overwrites the start of a line with a fake row, and Unicode
  bidi overrides show text in an order other than the one stored;
- a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@` or a tab as a formula (and a CR
  at its start is read as a line break before one);
- Markdown and HTML run markup: `<script>`, links, images, table pipes.

`for_terminal`, `for_csv`, `for_markdown` and `for_html` make a string inert for one sink each,
and `capped` bounds a stored message. Standard library only: the student release ships this.
"""
import html
import re

# Unicode bidi controls: embeddings, overrides, isolates and the invisible direction marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 (except newline and tab), DEL, C1, the bidi controls, and the line/paragraph separators some
# terminals and editors break lines at.
_UNSAFE_FOR_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029" + BIDI_CONTROLS + "]")
_FORMULA_START = ("=", "+", "-", "@", "\t")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Markdown's active punctuation, except `_` (handled apart) and `#`/`-`/`+`/`.` (active only at the
# start of a line, where an escaped leading character below covers them).
_MARKDOWN_ACTIVE = re.compile(r"([\\`*\[\]()!|~{}])")
# `_` opens or closes emphasis only next to a non-alphanumeric character: `svm_loss_naive` stays.
_MARKDOWN_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MARKDOWN_ORDERED = re.compile(r"^(\d+)\.")  # "3. x" at the start of a line is a list item

OUTPUT_HEAD = 6 << 10   # characters of a stored message kept from its start ...
OUTPUT_TAIL = 2 << 10   # ... and from its end (8 KiB in all)


def _visible(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text):
    """`text` with every control character a terminal would act on shown as an escape (`\\x1b`,
    `\\r`, `\\u202e`, ...) instead; newlines and tabs are kept."""
    return _UNSAFE_FOR_TERMINAL.sub(_visible, str(text))


def for_csv(cell):
    """`cell` as a spreadsheet shows it, never runs it: a number stays a number; any other text that
    starts with a formula character (`=`, `+`, `-`, `@`, a tab) gets a leading apostrophe (the
    spreadsheets' own "text" prefix). Control characters are shown escaped as for a terminal: a
    raw CR would also end the row early, since the csv module quotes only the line terminator."""
    text = for_terminal(cell)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def for_markdown(text):
    """`text` as literal Markdown inline text (e.g. one table cell): no markup, no raw HTML, no new
    lines, control characters shown as escapes."""
    text = for_terminal(text).replace("\n", " ").replace("\t", " ")
    text = html.escape(text, quote=False)
    text = _MARKDOWN_UNDERSCORE.sub(r"\\_", _MARKDOWN_ACTIVE.sub(r"\\\1", text))
    if text[:1] in ("#", "-", "+", "="):
        text = "\\" + text  # a heading, list item or setext underline if it began a line
    return _MARKDOWN_ORDERED.sub(r"\1\\.", text)


def for_html(text):
    """`text` as HTML text or an attribute value: markup escaped, control characters shown."""
    return html.escape(for_terminal(text), quote=True)


def capped(text, head=OUTPUT_HEAD, tail=OUTPUT_TAIL):
    """`text`, or its first `head` and last `tail` characters with a marker saying how many were cut."""
    if len(text) <= head + tail:
        return text
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} characters cut: the message was too long to keep whole ...]\n{text[-tail:]}"
