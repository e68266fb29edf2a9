"""List pages: bounded sizes, and tokens that are opaque to clients.

A page is read where the previous one stopped, by stream sequence (`accord.kv.page_after`):
the token is that sequence, which only we issue. A token we did not issue, or a size out
of bounds, is INVALID_ARGUMENT naming the field.
"""

import base64
import binascii
import re

from google.rpc import error_details_pb2

from accord.rpc_status import field_violation, invalid_argument

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_PREFIX = "s1:"
_SEQUENCE = re.compile(r"[1-9][0-9]{0,18}")


def page_size_violations(
    page_size: int, maximum: int = MAX_PAGE_SIZE
) -> list[error_details_pb2.BadRequest.FieldViolation]:
    """Why `page_size` is refused (negative, or above the maximum); 0 means the default."""
    if 0 <= page_size <= maximum:
        return []
    return [field_violation("page_size", f"must be from 0 to {maximum}; 0 means the default")]


def page_size_or_default(page_size: int, default: int = DEFAULT_PAGE_SIZE) -> int:
    return page_size or default


def sequence_token(resume_after: int | None) -> str:
    """The token of the page that starts after stream sequence `resume_after`; empty when
    there is no next page."""
    if not resume_after:
        return ""
    return base64.urlsafe_b64encode(f"{_PREFIX}{resume_after}".encode()).decode()


def after_sequence(page_token: str) -> int:
    """The stream sequence a page starts after (0: the first page); INVALID_ARGUMENT for a
    token we did not issue."""
    if not page_token:
        return 0
    try:
        text = base64.urlsafe_b64decode(page_token.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    sequence = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not _SEQUENCE.fullmatch(sequence):
        raise invalid_argument([field_violation("page_token", "is not a token we issued")])
    return int(sequence)
