"""The gallery scripts live in examples/gallery/ (run as scripts); put that folder on the import path."""

import sys
from pathlib import Path

GALLERY = Path(__file__).resolve().parents[2] / "examples" / "gallery"
if str(GALLERY) not in sys.path:
    sys.path.insert(0, str(GALLERY))
