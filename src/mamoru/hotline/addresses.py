"""E-mail addresses the hotline writes to (providers' abuse contacts): exactly one plain addr-spec.

An address goes into a mail header. A line break in it (`abuse@example.test\\r\\nBcc: ...`) would
be a header injection, and the mail library refuses it with an exception at the moment of sending,
so such an address is refused where it enters (the providers' API, page and command line all go
through service.add_provider) and checked again before a deletion request is sent (an address
stored before this check existed). Refused: control characters anywhere, spaces, a display name or
angle brackets (`Abuse <abuse@example.test>`), comments, quoted local parts, several addresses,
more or less than one `@`, a domain that is not a dotted host name (an internationalised domain is
written in its xn-- form), over 254 characters (local part over 64).
"""

from __future__ import annotations

import re

_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def address_problem(text: str) -> str | None:
    """Why `text` is not one plain e-mail address (None: it is one). Surrounding spaces are allowed
    (the caller strips them); nothing else is changed."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return "an e-mail address holds no line breaks, tabs or other control characters"
    address = text.strip(" ")
    if not address:
        return "an e-mail address is required"
    if not address.isascii():
        return "an e-mail address in ASCII (write an internationalised domain in its xn-- form)"
    if any(c in address for c in ' <>"(),;:[]\\'):
        return "one plain address such as abuse@example.jp: no name, angle brackets, quotes, comments or list"
    if address.count("@") != 1:
        return "one address with exactly one @, such as abuse@example.jp"
    local, domain = address.split("@")
    if len(address) > 254 or len(local) > 64:
        return "an e-mail address is at most 254 characters, its part before @ at most 64"
    if not _LOCAL_RE.fullmatch(local):
        return "the part before @ holds only letters, digits and .!#$%&'*+/=?^_`{|}~-"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        return "the part after @ is not a host name such as example.jp"
    return None
