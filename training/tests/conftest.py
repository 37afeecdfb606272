"""pytest: the training scripts import each other as top-level modules (they run from training/)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
