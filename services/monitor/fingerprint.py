"""The fingerprint of an error: which reports are "the same error" and share one ticket.

Rule: the first 16 hex digits of SHA-256 over `application`, `error_code` and the
normalised message, joined by a unit separator (so "ab"+"c" and "a"+"bc" differ).
Normalising the message keeps its words and drops what varies between two occurrences of
one problem: it is lower-cased, UUIDs become `<uuid>`, hex ids of 8 or more digits become
`<hex>`, any other run of digits becomes `<n>`, and runs of white space become one space.
So "Card 4242 declined for order 0190ab12-..." and "Card 1881 declined for order 0190cd34-..."
share a fingerprint, while another code, application or wording does not. The stack and the
context are left out: line numbers move with every release of the application.
"""

import hashlib
import re

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# Hex ids: 8 or more hex digits with at least one digit in them, so that plain words made
# of the letters a-f ("deadbeef" aside, "faded", "accede") stay words.
_HEX = re.compile(r"\b(?=[0-9a-f]*[0-9])[0-9a-f]{8,}\b")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_SEPARATOR = "\x1f"
LENGTH = 16


def normalise(message: str) -> str:
    text = message.lower()
    text = _UUID.sub("<uuid>", text)
    text = _HEX.sub("<hex>", text)
    text = _DIGITS.sub("<n>", text)
    return _SPACE.sub(" ", text).strip()


def fingerprint(application: str, error_code: str, message: str) -> str:
    material = _SEPARATOR.join((application, error_code, normalise(message)))
    return hashlib.sha256(material.encode()).hexdigest()[:LENGTH]
