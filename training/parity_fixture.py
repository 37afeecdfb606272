#!/usr/bin/env python3
"""Reference answers from Hugging Face transformers' question-answering pipeline (PyTorch), for docqa's parity test.

    training/.venv/bin/python training/parity_fixture.py [--ckpt training/out/model --model-dir models/minilm-l6-squad]

Runs transformers.pipeline("question-answering") on the FIRST 500 questions of squad-v1.1-dev-b.json in file
order (article -> paragraph -> qa), each with its gold paragraph, and writes
test/fixtures/parity/minilm-l6-squad-devb-500.json. The pipeline gets the trained PyTorch weights (the same
weights as models/minilm-l6-squad/model.fp32.onnx) and the shipped tokenizer.json; every default is passed
explicitly. The question and context strings are passed exactly as they are in the SQuAD file (no stripping:
the pipeline does not strip either; the WordPiece pre-tokenizer ignores leading/trailing whitespace).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from common import HELDOUT_FILE, OUT, REPO, SQUAD, read_squad, sha256

SETTINGS = {
    "top_k": 1,
    "max_seq_len": 384,
    "doc_stride": 128,
    "max_answer_len": 15,
    "max_question_len": 64,
    "handle_impossible_answer": False,
    "align_to_words": True,
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=str(OUT / "model"))
    ap.add_argument("--model-dir", default=str(REPO / "models" / "minilm-l6-squad"))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--out", default=str(REPO / "test" / "fixtures" / "parity" / "minilm-l6-squad-devb-500.json"))
    a = ap.parse_args()

    import torch
    import transformers
    from transformers import BertForQuestionAnswering, BertTokenizerFast, pipeline

    torch.set_num_threads(1)
    mdir = Path(a.model_dir)
    model = BertForQuestionAnswering.from_pretrained(a.ckpt).eval()
    tok = BertTokenizerFast(tokenizer_file=str(mdir / "tokenizer.json"), do_lower_case=True, model_max_length=512)
    qa = pipeline("question-answering", model=model, tokenizer=tok, device=-1, framework="pt")
    items = []
    t0 = time.time()
    for ex in read_squad(HELDOUT_FILE)[: a.n]:
        r = qa(question=ex["question"], context=ex["context"], **SETTINGS)
        items.append({"id": ex["id"], "question": ex["question"], "context": ex["context"], "answer": r["answer"],
                      "start": int(r["start"]), "end": int(r["end"]), "score": round(float(r["score"]), 6)})
    wall = time.time() - t0
    fx = {
        "model": "minilm-l6-squad",
        "modelFile": "models/minilm-l6-squad/model.fp32.onnx",
        "modelSha256": sha256(mdir / "model.fp32.onnx"),
        "source": f"squad/{HELDOUT_FILE} (sha256 {sha256(SQUAD / HELDOUT_FILE)}), first {a.n} questions in file "
                  "order (article -> paragraph -> qa), gold paragraph as context",
        "reference": "transformers.pipeline('question-answering', model=<trained PyTorch checkpoint, same weights "
                     "as modelFile>, tokenizer=<modelFile's folder tokenizer.json>), called once per question as "
                     "qa(question=q, context=c, **settings); q and c unmodified",
        "settings": SETTINGS,
        "transformersVersion": transformers.__version__,
        "torchVersion": torch.__version__,
        "note": "start/end are the pipeline's character offsets in context (end exclusive; answer == "
                "context[start:end]); score is the pipeline's softmax(start) * softmax(end) per window",
        "items": items,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(fx, indent=1, ensure_ascii=False) + "\n")
    bad = sum(1 for it in items if it["context"][it["start"]:it["end"]] != it["answer"])
    print(f"{len(items)} items in {wall:.0f} s -> {a.out}; offset mismatches: {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
