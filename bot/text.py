"""Neutral text: the bot's own words, with people's words and references marked as such.

The domain writes every user-facing text as one string in which

- the bot's own words (the catalogue, code) are trusted: they may use the light formatting
  every adapter understands (`*bold*`, `_italic_`, `` `code` ``, `:emoji:`, `•` bullets,
  line breaks) and never contain `<`, `>` or `&` (a test checks the catalogue);
- people's words (names, titles, profile fields, answers, plan texts, anything read from a
  person or a file) are wrapped by `words()` between two private-use characters;
- staff's announcements, which may use the light formatting but no markup, by `formatted()`;
- references to a person or a channel are written by `user()` / `channel()`, carrying the
  platform id and a readable label for transports that cannot link them.

Each adapter renders a neutral string at its edge with `spans()`: Slack escapes people's words
for mrkdwn and turns references into `<@U…>` / `<#C…>`, email escapes HTML (or shows plain text
as written), Teams escapes for Adaptive Card markdown. Marking fails safe: a marker cut off by a
length limit, or stray markers, make the rest people's words, never markup.

The markers survive JSON (the outbox stores messages as JSON) and `str.format`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

WORDS_OPEN = "\ue000"
WORDS_CLOSE = "\ue001"
REF_OPEN = "\ue002"
REF_SEP = "\ue003"
REF_CLOSE = "\ue004"
FORMATTED_OPEN = "\ue005"
FORMATTED_CLOSE = "\ue006"
MARKERS = (
    WORDS_OPEN + WORDS_CLOSE + REF_OPEN + REF_SEP + REF_CLOSE + FORMATTED_OPEN + FORMATTED_CLOSE
)
_MARKER_RE = re.compile(f"[{MARKERS}]")
# C0/C1 controls other than tab and newline, and bidi overrides: never useful in a name.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Text no adapter reads as markup (Slack mrkdwn, HTML, Adaptive Card markdown): letters, digits,
# spaces and a little punctuation, starting with a letter or digit. `words()` leaves it unmarked
# so transcripts, subjects and tests read naturally; anything else is marked.
_INERT_RE = re.compile(r"[^\W_](?:[^\W_]|[ .,:'’/%()–—-])*")
_EMOJI_LIKE = re.compile(r":[^\W\d_]")  # ":" before a letter could start a :shortcode:

SpanKind = Literal["text", "words", "formatted", "user", "channel"]


class Markup(str):
    """Neutral text that is safe as it is: the bot's words, marked words, references.

    `t()` and `words()` return it; `t()` marks every other string value as people's words.
    """


@dataclass(frozen=True)
class Span:
    """One run of a neutral string: the bot's `text`, people's `words`, or a reference."""

    kind: SpanKind
    text: str
    ref: str = ""  # the platform id of a user or channel reference


def clean(value: str) -> str:
    """`value` without markers and control characters (tab and newline stay)."""
    return _CONTROL_RE.sub("", _MARKER_RE.sub("", value))


def words(value: object) -> Markup:
    """Mark `value` as people's words: adapters show it as written, never as markup.

    A value that already is neutral text (`Markup`) is returned as is; a plain string that
    carries markers (e.g. a join of marked names) is read as plain text first, so its people's
    words stay words and its references become their labels. Text that no adapter could read as
    markup (letters, digits, spaces, `.,:'’/%()–—-`: "Ola Nordmann", "kl. 09:00") needs no
    marking and is returned unmarked.
    """
    if isinstance(value, Markup):
        return value
    text = str(value)
    if _MARKER_RE.search(text):
        text = plain(text)
    text = clean(text)
    if not text or (_INERT_RE.fullmatch(text) and not _EMOJI_LIKE.search(text)):
        return Markup(text)
    return Markup(f"{WORDS_OPEN}{text}{WORDS_CLOSE}")


def formatted(value: object) -> Markup:
    """Mark staff's words that may use the light formatting (`*bold*`, `_italic_`, `~strike~`,
    `` `code` ``) but never markup: no pings, links or mentions (announcements)."""
    if isinstance(value, Markup):
        return value
    text = str(value)
    if _MARKER_RE.search(text):
        text = plain(text)
    text = clean(text)
    if not text or (_INERT_RE.fullmatch(text) and not _EMOJI_LIKE.search(text)):
        return Markup(text)
    return Markup(f"{FORMATTED_OPEN}{text}{FORMATTED_CLOSE}")


def trusted(text: str) -> Markup:
    """Declare `text` the bot's own words (or already neutral). Never for people's words."""
    return Markup(text)


def user(ref: str | None, label: str) -> Markup:
    """A person: a mention where the platform can (`ref` is its user id), else `label`."""
    label = clean(label).replace(REF_SEP, "")
    if not ref:
        return words(label)
    return Markup(f"{REF_OPEN}user{REF_SEP}{clean(ref)}{REF_SEP}{label}{REF_CLOSE}")


def channel(ref: str | None, label: str = "") -> Markup:
    """A channel: a link where the platform can (`ref` is its channel id), else `#label`."""
    label = clean(label)
    if not ref:
        return words(f"#{label}" if label else "")
    return Markup(f"{REF_OPEN}channel{REF_SEP}{clean(ref)}{REF_SEP}{label}{REF_CLOSE}")


def join(parts: list[Markup] | list[str], sep: str = ", ") -> Markup:
    """Join neutral parts (e.g. mentions) with the bot's separator, keeping them neutral."""
    return Markup(sep.join(p if isinstance(p, Markup) else words(p) for p in parts))


def spans(text: str) -> list[Span]:
    """Split a neutral string into runs. Unclosed or stray markers fail safe (people's words)."""
    out: list[Span] = []
    i, n = 0, len(text)
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append(Span("text", "".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch in (WORDS_OPEN, FORMATTED_OPEN):
            flush()
            close = WORDS_CLOSE if ch == WORDS_OPEN else FORMATTED_CLOSE
            end = text.find(close, i + 1)
            closed = end >= 0
            end = n if end < 0 else end
            body = _MARKER_RE.sub("", text[i + 1 : end])
            if body:
                # An unclosed formatted run (cut by a limit) fails safe: plain words.
                kind: SpanKind = "formatted" if ch == FORMATTED_OPEN and closed else "words"
                out.append(Span(kind, body))
            i = end + 1
        elif ch == REF_OPEN:
            flush()
            end = text.find(REF_CLOSE, i + 1)
            closed = end >= 0
            end = n if end < 0 else end
            parts = text[i + 1 : end].split(REF_SEP)
            if closed and len(parts) == 3 and parts[0] in ("user", "channel") and parts[1]:
                ref_kind: SpanKind = "user" if parts[0] == "user" else "channel"
                out.append(Span(ref_kind, _MARKER_RE.sub("", parts[2]), ref=parts[1]))
            else:
                body = _MARKER_RE.sub("", " ".join(parts[1:] if len(parts) > 1 else parts))
                if body:
                    out.append(Span("words", body))
            i = end + 1
        elif ch in MARKERS:
            i += 1  # a stray closer or separator
        else:
            buf.append(ch)
            i += 1
    flush()
    return out


def render(
    text: str,
    *,
    bot: Callable[[str], str],
    people: Callable[[str], str],
    user_ref: Callable[[Span], str],
    channel_ref: Callable[[Span], str],
    people_formatted: Callable[[str], str] | None = None,
) -> str:
    """Render a neutral string with one function per kind of run (what an adapter does).

    `people_formatted` renders `formatted()` runs; without it they are rendered as `people`.
    """
    out: list[str] = []
    for span in spans(text):
        if span.kind == "text":
            out.append(bot(span.text))
        elif span.kind == "words":
            out.append(people(span.text))
        elif span.kind == "formatted":
            out.append((people_formatted or people)(span.text))
        elif span.kind == "user":
            out.append(user_ref(span))
        else:
            out.append(channel_ref(span))
    return "".join(out)


def _label_user(span: Span) -> str:
    return span.text or span.ref


def _label_channel(span: Span) -> str:
    return f"#{span.text}" if span.text else f"#{span.ref}"


def plain(text: str) -> str:
    """The text as a person reads it: people's words as written, references as labels.

    For transports that show plain text (email's text part, subjects, file names, logs).
    """
    if not _MARKER_RE.search(text):
        return text
    return render(
        text, bot=lambda s: s, people=lambda s: s, user_ref=_label_user, channel_ref=_label_channel
    )


def has_markers(text: str) -> bool:
    """Whether `text` carries neutral markers (an adapter that forgot to render would leak)."""
    return bool(_MARKER_RE.search(text))


def cut(text: str, limit: int) -> str:
    """Cut neutral `text` to at most `limit` visible characters, ending with "…" when cut.

    Counts what a reader sees (markers are free) and never splits a reference.
    """
    if len(plain(text)) <= limit:
        return text
    budget = limit - 1
    out: list[str] = []
    for span in spans(text):
        if budget <= 0:
            break
        if span.kind in ("user", "channel"):
            shown = len(span.text or span.ref) + 1
            if shown > budget:
                break
            out.append(f"{REF_OPEN}{span.kind}{REF_SEP}{span.ref}{REF_SEP}{span.text}{REF_CLOSE}")
            budget -= shown
        elif span.kind in ("words", "formatted"):
            piece = span.text[:budget]
            opener, closer = (
                (WORDS_OPEN, WORDS_CLOSE)
                if span.kind == "words"
                else (FORMATTED_OPEN, FORMATTED_CLOSE)
            )
            out.append(f"{opener}{piece}{closer}")
            budget -= len(piece)
        else:
            piece = span.text[:budget]
            out.append(piece)
            budget -= len(piece)
    return "".join(out) + "…"


def html_text(text: str) -> str:
    """Neutral text as HTML text: people's words as written, everything escaped once."""
    import html

    return html.escape(plain(text), quote=True)


def short(value: object, limit: int = 60) -> str:
    """At most `limit` characters of `value` (bad input quoted back), with "…" when cut."""
    text = clean(str(value)).replace("\n", " ")
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"
