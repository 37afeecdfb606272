#!/usr/bin/env python3
"""Training features for the 12-layer reader: SQuAD 1.1 train subset + dev-a, other-paragraph negatives and the
rule-made unanswerable questions of unanswerable.py, tokenised once into flat numpy arrays.

    python3 training/gpu_data.py --tokenizer training/.carry/base --out /tmp/docqa-gpu/data \
        [--rules a,b,c] [--ua-rate 0.5] [--neg-ratio 0.25] [--max-seq-length 256] [--doc-stride 128] [--limit 0]

Positives: every question with its own paragraph, windowed as the reader does at inference (question first, context
truncated only_second, overlapping windows); a window without the whole first gold answer is labelled CLS.
Other-paragraph negatives (prepare_data.py's rule, unchanged): for a seeded --neg-ratio of the questions, the question
with a random other paragraph of its article holding no gold answer, first window, CLS.
Unanswerable (unanswerable.py, --rules / --ua-rate): every window labelled CLS.
The SQuAD files come from data/squad (or $SHARED_DATA_DIR/squad); dev-b and the SQuAD 2.0 sample are refused: they
are never used for weights.

Writes <out>/features.npz (ids: int32 flat token ids, tt: int8 token types, offsets: int64 [n+1], start/end: int32
labels, kind: int8 -- 0 answer window, 1 CLS window of an answerable question, 2 other-paragraph negative,
3/4/5 unanswerable by rule a/b/c) and <out>/prep.json (settings, file sha256, counts).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import TRAIN_FILES, read_squad, sha256, squad_file  # noqa: E402
from prepare_data import window_features  # noqa: E402
from unanswerable import RULE_NAMES, generate, parse_rules  # noqa: E402

KINDS = {"answer": 0, "cls_of_answerable": 1, "other_paragraph_negative": 2, "unanswerable_a": 3,
         "unanswerable_b": 4, "unanswerable_c": 5}
FORBIDDEN = ("dev-b", "v2.0")  # held-out sets: never weights


def load_tokenizer(folder: Path, windows: bool = True):
    """The folder's WordPiece tokenizer; with `windows`, wrapped so that question/context calls give their windows
    computed here (WindowTokenizer) rather than by the tokenizers library."""
    from transformers import BertTokenizerFast

    tok = BertTokenizerFast(tokenizer_file=str(Path(folder) / "tokenizer.json"), do_lower_case=True,
                            model_max_length=512)
    tok.backend_tokenizer.no_truncation()
    tok.backend_tokenizer.no_padding()
    return WindowTokenizer(tok) if windows else tok


class Windows(dict):
    """What transformers' overflowing pair call returns, as far as prepare_data.window_features and
    evaluate.predict read it: input_ids, token_type_ids, attention_mask, offset_mapping (lists per window) and
    sequence_ids(window)."""

    def __init__(self, data: dict, seq_ids: list[list]):
        super().__init__(data)
        self._seq = seq_ids

    def sequence_ids(self, i: int) -> list:
        return self._seq[i]


class WindowTokenizer:
    """`tok(question, context, truncation="only_second", max_length=M, stride=S, return_overflowing_tokens=True)`
    with the windows computed here: [CLS] question [SEP] context[i : i + room] [SEP], room = M - len(question) - 3,
    each window starting S tokens before the previous one ends, until the context's end -- exactly the windows of
    transformers 4.57 / tokenizers 0.22 (checked by training/tests/test_windows.py). tokenizers 0.23.2 (the GPU
    machine's) returns only ONE overflow window for only_second truncation, which would silently drop the rest of
    every long paragraph from training and evaluation. Other calls go to the wrapped tokenizer."""

    def __init__(self, tok):
        self.tok = tok
        self.cls, self.sep = tok.cls_token_id, tok.sep_token_id

    def __getattr__(self, name):
        return getattr(self.tok, name)

    def __call__(self, question, context=None, truncation=None, max_length=None, stride=0,
                 return_overflowing_tokens=False, **kw):
        if context is None or not return_overflowing_tokens or truncation != "only_second":
            return self.tok(question, context, truncation=truncation, max_length=max_length, stride=stride, **kw)
        q = self.tok(question, add_special_tokens=False, return_offsets_mapping=True)
        c = self.tok(context, add_special_tokens=False, return_offsets_mapping=True)
        qi, qo = q["input_ids"], q["offset_mapping"]
        ci, co = c["input_ids"], c["offset_mapping"]
        room = max_length - len(qi) - 3
        if room <= stride:
            raise ValueError(f"question of {len(qi)} tokens leaves {room} context tokens per window, not more than "
                             f"the stride {stride}")
        out = {"input_ids": [], "token_type_ids": [], "attention_mask": [], "offset_mapping": []}
        seqs = []
        if not ci:  # an empty context: transformers encodes the question alone
            ids = [self.cls] + qi + [self.sep]
            out["input_ids"].append(ids)
            out["token_type_ids"].append([0] * len(ids))
            out["attention_mask"].append([1] * len(ids))
            out["offset_mapping"].append([(0, 0)] + [tuple(o) for o in qo] + [(0, 0)])
            return Windows(out, [[None] + [0] * len(qi) + [None]])
        start = 0
        while True:
            end = min(start + room, len(ci))
            ids = [self.cls] + qi + [self.sep] + ci[start:end] + [self.sep]
            out["input_ids"].append(ids)
            out["token_type_ids"].append([0] * (len(qi) + 2) + [1] * (end - start + 1))
            out["attention_mask"].append([1] * len(ids))
            out["offset_mapping"].append([(0, 0)] + [tuple(o) for o in qo] + [(0, 0)]
                                         + [tuple(o) for o in co[start:end]] + [(0, 0)])
            seqs.append([None] + [0] * len(qi) + [None] + [1] * (end - start) + [None])
            if end >= len(ci):
                break
            start = end - stride
        return Windows(out, seqs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True, help="folder with tokenizer.json (the base's)")
    ap.add_argument("--files", default=",".join(TRAIN_FILES))
    ap.add_argument("--max-seq-length", type=int, default=256)
    ap.add_argument("--doc-stride", type=int, default=128)
    ap.add_argument("--neg-ratio", type=float, default=0.25, help="other-paragraph negatives per question")
    ap.add_argument("--rules", default="a,b,c", help="unanswerable rules (a subset of a,b,c, or none)")
    ap.add_argument("--ua-rate", type=float, default=0.5, help="share of questions given an unanswerable twin")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--limit", type=int, default=0, help="first N questions of each file (0: all; CPU checks)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    files = [f for f in a.files.split(",") if f]
    bad = [f for f in files if any(x in f for x in FORBIDDEN)]
    if bad:
        raise SystemExit(f"refusing {bad}: dev-b and the SQuAD 2.0 sample are never used for weights")
    rules = parse_rules(a.rules)
    tok = load_tokenizer(Path(a.tokenizer))
    rng = random.Random(a.seed)
    t0 = time.time()
    ids: list[np.ndarray] = []
    tts: list[np.ndarray] = []
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[int] = []
    counts = {k: 0 for k in KINDS}
    stats: dict = {"files": {}, "questions": 0, "answers_not_in_any_window": 0,
                   "other_paragraph_negatives_skipped_answer_present": 0}

    def add(feats, kind: str) -> None:
        for f in feats:
            k = kind
            if kind == "answer" and f["start"] == 0:
                k = "cls_of_answerable"
            ids.append(np.asarray(f["input_ids"], dtype=np.int32))
            tts.append(np.asarray(f["token_type_ids"], dtype=np.int8))
            starts.append(f["start"])
            ends.append(f["end"])
            kinds.append(KINDS[k])
            counts[k] += 1

    for name in files:
        exs = read_squad(name)
        if a.limit:
            exs = exs[: a.limit]
        stats["files"][name] = {"sha256": sha256(squad_file(name)), "questions": len(exs)}
        paras: dict[int, list[str]] = {}
        for ex in exs:
            lst = paras.setdefault(ex["article"], [])
            if ex["context"] not in lst:
                lst.append(ex["context"])
        for ex in exs:
            stats["questions"] += 1
            fs = window_features(tok, ex["question"], ex["context"], ex["answers"][0], a.max_seq_length, a.doc_stride)
            if not any(f["start"] > 0 for f in fs):
                stats["answers_not_in_any_window"] += 1
            add(fs, "answer")
            if rng.random() < a.neg_ratio:
                others = [c for c in paras[ex["article"]] if c != ex["context"]]
                rng.shuffle(others)
                golds = {x["text"].strip().lower() for x in ex["answers"]}
                for other in others:
                    if any(g and g in other.lower() for g in golds):
                        stats["other_paragraph_negatives_skipped_answer_present"] += 1
                        continue
                    add(window_features(tok, ex["question"], other, None, a.max_seq_length, a.doc_stride,
                                        first_only=True), "other_paragraph_negative")
                    break
        items, ua_stats = generate(exs, rules, a.ua_rate, a.seed)
        stats["files"][name]["unanswerable"] = ua_stats
        for it in items:
            add(window_features(tok, it["question"], it["context"], None, a.max_seq_length, a.doc_stride),
                f"unanswerable_{it['rule']}")
    lens = np.array([len(x) for x in ids], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)])
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "features.npz", ids=np.concatenate(ids), tt=np.concatenate(tts), offsets=offsets,
             start=np.array(starts, dtype=np.int32), end=np.array(ends, dtype=np.int32),
             kind=np.array(kinds, dtype=np.int8))
    ua_total = {r: sum(f["unanswerable"]["generated"][r] for f in stats["files"].values()) for r in "abc"}
    prep = {
        "settings": vars(a),
        "stats": stats,
        "windows": counts,
        "features": int(len(ids)),
        "unanswerable_questions": {RULE_NAMES[r]: n for r, n in ua_total.items()},
        "mean_len": float(lens.mean()) if len(lens) else 0.0,
        "wall_s": round(time.time() - t0, 1),
        "labels": "answer windows: token span of the first gold answer; every other window: CLS (index 0)",
    }
    (out / "prep.json").write_text(json.dumps(prep, indent=1) + "\n")
    print(json.dumps({"features": prep["features"], "windows": counts, "unanswerable": prep["unanswerable_questions"],
                      "questions": stats["questions"], "wall_s": prep["wall_s"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
