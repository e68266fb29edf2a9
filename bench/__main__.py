"""`make bench`: every `bench/*_bench.py` module in turn, each through its own `main()`.

Each module parses its own command line, so it is run with none: its defaults are the
figures `BENCHMARKS.md` reports. One module failing does not stop the others.
"""

import importlib
import sys
import traceback
from pathlib import Path


def main() -> int:
    failed = []
    for path in sorted(Path(__file__).parent.glob("*_bench.py")):
        name = f"bench.{path.stem}"
        print(f"== {name}", flush=True)
        module = importlib.import_module(name)
        saved, sys.argv = sys.argv, [name]
        try:
            module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        finally:
            sys.argv = saved
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
