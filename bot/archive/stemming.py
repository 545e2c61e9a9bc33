"""Norwegian words to their Snowball stems, for the SQLite index (PostgreSQL stems itself).

Both databases use the same algorithm (Snowball's Norwegian stemmer: PostgreSQL's `norwegian`
text search configuration, and PyPI's `snowballstemmer` here), so "sykepleieren",
"sykepleiere" and "sykepleierne" all become "sykepleier" on either.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Letters and digits, as FTS5's unicode61 tokenizer and PostgreSQL's parser split words.
_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_WORDS = 20


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("norwegian")


def words_of(text: str) -> list[str]:
    """The words of `text`, NFC-normalised and lower-case."""
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def stems(text: str) -> list[str]:
    """Every word of `text` as its stem, in order (what the SQLite index stores)."""
    found = words_of(text)
    return [str(s) for s in _stemmer().stemWords(found)] if found else []


def stemmed_text(text: str) -> str:
    return " ".join(stems(text))


def query_stems(query: str) -> list[str]:
    """The distinct stems of a search query, in order, at most `MAX_QUERY_WORDS`."""
    seen: dict[str, None] = {}
    for s in stems(query):
        seen.setdefault(s, None)
    return list(seen)[:MAX_QUERY_WORDS]
