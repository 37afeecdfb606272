#!/usr/bin/env python3
"""Reference answers from Hugging Face transformers' question-answering pipeline, for docqa's parity test.

    training/.venv/bin/python training/parity_fixture.py [--model-dir models/minilm-l6-squad] [--model-file model.onnx]
        [--squad FILE] [--n 500] [--out test/fixtures/parity/minilm-l6-squad-devb-500.json]

Runs transformers.pipeline("question-answering") on the FIRST 500 questions of squad-v1.1-dev-b.json in file
order (article -> paragraph -> qa), each with its gold paragraph, and writes
test/fixtures/parity/minilm-l6-squad-devb-500.json with the questions, contexts and the pipeline's answers (the test
needs nothing else). The pipeline's model is a BertForQuestionAnswering whose forward runs onnxruntime (CPU) on the
model folder's shipped ONNX file (the int8 model.onnx by default), so the reference is the pipeline's own
tokenization (the folder's tokenizer.json), windows and decoding, on the logits of the very graph docqa's reader
runs. Every setting is passed explicitly; question and context strings are passed exactly as in the SQuAD file.
The SQuAD file: --squad, else squad/squad-v1.1-dev-b.json under $SHARED_DATA_DIR or the repository's data/.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from common import HELDOUT_FILE, REPO, read_squad, sha256, squad_file

SETTINGS = {
    "top_k": 1,
    "max_seq_len": 384,
    "doc_stride": 128,
    "max_answer_len": 15,
    "max_question_len": 64,
    "handle_impossible_answer": False,
    "align_to_words": True,
}


def onnx_qa_model(model_dir: Path, onnx_file: Path, threads: int):
    """A transformers QA model whose forward is an onnxruntime run of `onnx_file` (batch as the pipeline gives it)."""
    import numpy as np
    import onnxruntime as ort
    import torch
    import transformers
    from transformers import AutoConfig
    from transformers.modeling_outputs import QuestionAnsweringModelOutput

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    # named as its base class: the pipeline checks the model class by name
    class BertForQuestionAnswering(transformers.BertForQuestionAnswering):
        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_kwargs):
            given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            feeds = {k: given[k].cpu().numpy().astype(np.int64) for k in names}
            start, end = session.run(["start_logits", "end_logits"], feeds)
            return QuestionAnsweringModelOutput(start_logits=torch.from_numpy(start), end_logits=torch.from_numpy(end))

    # the torch weights are never used: forward is the ONNX graph
    return BertForQuestionAnswering(AutoConfig.from_pretrained(str(model_dir))).eval(), ort.__version__


def read_examples(squad: Path | None, n: int) -> tuple[list[dict], Path]:
    if squad is None:
        return read_squad(HELDOUT_FILE)[:n], squad_file(HELDOUT_FILE)
    data = json.loads(squad.read_text())["data"]
    out = [{"id": qa["id"], "question": qa["question"], "context": p["context"]}
           for a in data for p in a["paragraphs"] for qa in p["qas"]]
    return out[:n], squad


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", default=str(REPO / "models" / "minilm-l6-squad"))
    ap.add_argument("--model-file", default="model.onnx")
    ap.add_argument("--squad", type=Path, default=None, help="squad-v1.1-dev-b.json (default: from the data folder)")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "test" / "fixtures" / "parity" / "minilm-l6-squad-devb-500.json"))
    a = ap.parse_args()

    import torch
    import transformers
    from transformers import BertTokenizerFast, pipeline

    torch.set_num_threads(1)
    mdir = Path(a.model_dir).resolve()
    onnx_file = mdir / a.model_file
    model, ort_version = onnx_qa_model(mdir, onnx_file, a.threads)
    tok = BertTokenizerFast(tokenizer_file=str(mdir / "tokenizer.json"), do_lower_case=True, model_max_length=512)
    qa = pipeline("question-answering", model=model, tokenizer=tok, device=-1, framework="pt")
    examples, squad = read_examples(a.squad, a.n)
    items = []
    t0 = time.time()
    for ex in examples:
        r = qa(question=ex["question"], context=ex["context"], **SETTINGS)
        items.append({"id": ex["id"], "question": ex["question"], "context": ex["context"], "answer": r["answer"],
                      "start": int(r["start"]), "end": int(r["end"]), "score": float(r["score"])})
    wall = time.time() - t0
    fx = {
        "model": "minilm-l6-squad",
        "modelFile": str(onnx_file.relative_to(REPO)),
        "modelSha256": sha256(onnx_file),
        "source": f"squad/{squad.name} (sha256 {sha256(squad)}), first {a.n} questions in file "
                  "order (article -> paragraph -> qa), gold paragraph as context",
        "reference": "transformers.pipeline('question-answering', model=<BertForQuestionAnswering whose forward runs "
                     "onnxruntime (CPUExecutionProvider) on modelFile, one window per run as the pipeline batches "
                     "them>, tokenizer=<modelFile's folder tokenizer.json>), called once per question as "
                     "qa(question=q, context=c, **settings); q and c unmodified",
        "settings": SETTINGS,
        "transformersVersion": transformers.__version__,
        "torchVersion": torch.__version__,
        "onnxruntimeVersion": ort_version,
        "onnxruntimeThreads": a.threads,
        "note": "start/end are the pipeline's character offsets in context (code points, end exclusive; answer == "
                "context[start:end]); score is the pipeline's softmax(start) * softmax(end) per window (float32)",
        "items": items,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(fx, indent=1, ensure_ascii=False) + "\n")
    bad = sum(1 for it in items if it["context"][it["start"]:it["end"]] != it["answer"])
    print(f"{len(items)} items in {wall:.0f} s -> {a.out}; offset mismatches: {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
