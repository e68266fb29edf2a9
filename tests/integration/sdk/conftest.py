"""The generated Python SDK, imported from sdk/python/src (its messages are the same modules
as gen/python's, which stay first on the path)."""

import sys
from pathlib import Path

SDK_SOURCE = Path(__file__).resolve().parents[3] / "sdk" / "python" / "src"
if str(SDK_SOURCE) not in sys.path:
    sys.path.append(str(SDK_SOURCE))
