"""protobuf Timestamps made in one expression.

The generated type is only filled in place (`stamp.FromDatetime(...)`), so every module that
turned a record's time into a message field wrote the same three lines; these return one.
"""

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def timestamp_ns(nanos: int) -> Timestamp:
    """The Timestamp of `nanos` nanoseconds since the epoch."""
    stamp = Timestamp()
    stamp.FromNanoseconds(nanos)
    return stamp


def timestamp_now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp
