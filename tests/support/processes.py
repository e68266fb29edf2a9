"""Whether a process a test started is still running."""

from pathlib import Path


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped (Linux: its /proc state)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state follows the command name in parentheses, which may itself hold spaces.
    return stat.rpartition(")")[2].split()[0] != "Z"
