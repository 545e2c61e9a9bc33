"""The one canonical form of an email address, used wherever addresses are stored or matched.

`ola@Bærum.kommune.no`, `OLA@xn--brum-voa.kommune.no` and ` ola@bærum.kommune.no ` are one
person: the address is trimmed, Unicode-normalised (NFC) and lower-cased, and its domain is
written in its ASCII (IDNA, "punycode") form, which every mail server accepts. The local part
keeps its characters (lower-cased: no mail system in the programme tells case apart).
"""

from __future__ import annotations

import unicodedata


def canonical_email(value: str) -> str:
    """`value` in canonical form; text that is not an address is only trimmed and lower-cased."""
    text = unicodedata.normalize("NFC", value.strip()).lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return text
    return f"{local}@{ascii_domain(domain)}"


def ascii_domain(domain: str) -> str:
    """A domain in lower-case ASCII (IDNA); returned as given when it cannot be encoded."""
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return domain


def unicode_domain(domain: str) -> str:
    """A domain as people read it (`xn--brum-voa` → `bærum`), for display only."""
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain
