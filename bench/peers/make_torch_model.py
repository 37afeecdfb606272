#!/usr/bin/env python3
"""The bundled reader's fp32 ONNX export -> a PyTorch BertForQuestionAnswering folder, for bench/peers' Python peer.

    training/.venv/bin/python bench/peers/make_torch_model.py \
        [--onnx models/minilm-l6-squad/model.fp32.onnx] [--out bench/peers/.cache/minilm-l6-squad-torch]

The training run keeps no PyTorch checkpoint in the repository, and model.fp32.onnx (made by `bash training/run.sh
... export`, git-ignored) is the same weights before quantisation. torch.onnx.export kept the parameters' names
('m.bert.encoder.layer.0.attention.self.query.bias', 'm.qa_outputs.bias', ...) except the Linear weights, which are
anonymous MatMul initializers stored [in, out]: each is named after the named bias added to its output and
transposed (as training/onnx_to_bert.py does for a bare encoder; here with the QA head). The folder gets config.json
and the tokenizer files of the model folder. Proof: PyTorch and onnxruntime logits on 16 SQuAD-like windows (one by
one and as a padded batch); fails above --tolerance.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
PAIRS = [
    ("Who led the Norman conquest of England?", "In 1066, William the Conqueror led the Norman conquest of England at the Battle of Hastings."),
    ("Where does the Rhine end?", "The Rhine rises in the southeastern Swiss Alps and ends in the North Sea."),
    ("When was Tesla born?", "Tesla was born on 10 July [O.S. 28 June] 1856 into a Serb family in the village of Smiljan."),
    ("What is the boiling point of water?", "Water boils at 100 degrees Celsius (212 °F) at standard atmospheric pressure."),
    ("How many member states does the EU have?", "The European Union has 27 member states and a population of about 447 million."),
    ("What do ctenophores look like?", "Ctenophora comprise a phylum of marine invertebrates, commonly known as comb jellies. " * 8),
    ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare sometime between 1599 and 1601."),
    ("What is the capital of Victoria?", "Victoria is the second-most populous state in Australia; its capital is Melbourne."),
]


def state_dict(onnx_model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    g = onnx_model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    strip = lambda n: n[2:] if n.startswith("m.") else n  # noqa: E731 (the export wrapper's attribute)
    sd = {strip(n): a for n, a in inits.items() if not n.startswith("onnx::") and not n.endswith("position_ids")}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    for n in g.node:
        if n.op_type != "MatMul" or len(n.input) < 2 or not n.input[1].startswith("onnx::") or n.input[1] not in inits:
            continue
        bias = next((i for c in consumers.get(n.output[0], []) if c.op_type == "Add"
                     for i in c.input if i in inits and i.endswith(".bias")), None)
        if bias is None:
            raise ValueError(f"cannot name {n.input[1]}: no named bias is added to its output")
        sd[strip(bias)[: -len(".bias")] + ".weight"] = np.ascontiguousarray(inits[n.input[1]].T)
    return sd


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", default=str(REPO / "models" / "minilm-l6-squad"))
    p.add_argument("--onnx", default=None, help="default: MODEL_DIR/model.fp32.onnx")
    p.add_argument("--out", default=str(REPO / "bench" / "peers" / ".cache" / "minilm-l6-squad-torch"))
    p.add_argument("--tolerance", type=float, default=1e-3)
    a = p.parse_args()

    import onnx
    import onnxruntime as ort
    import torch
    from transformers import BertConfig, BertForQuestionAnswering, BertTokenizerFast

    model_dir = Path(a.model_dir)
    onnx_path = Path(a.onnx) if a.onnx else model_dir / "model.fp32.onnx"
    if not onnx_path.exists():
        print(f"{onnx_path} is missing: `bash training/run.sh setup data train export` makes it (see docs/training.md)",
              file=sys.stderr)
        return 2
    sd = state_dict(onnx.load(str(onnx_path)))
    config = BertConfig.from_pretrained(str(model_dir))
    config._attn_implementation = "eager"
    model = BertForQuestionAnswering(config).eval()
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()}, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise SystemExit(f"the ONNX weights do not fit BertForQuestionAnswering: missing {missing}, unexpected {unexpected}")

    tok = BertTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"), do_lower_case=True, model_max_length=512)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in [[p] for p in PAIRS] + [PAIRS]:
        enc = tok([q for q, _ in batch], [c for _, c in batch], padding=True, return_tensors="np")
        feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        start, end = sess.run(["start_logits", "end_logits"], feeds)
        with torch.no_grad():
            out = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        mask = feeds["attention_mask"].astype(bool)
        worst = max(worst, float(np.abs(out.start_logits.numpy() - start)[mask].max()),
                    float(np.abs(out.end_logits.numpy() - end)[mask].max()))
    print(f"{len(sd)} tensors; PyTorch vs onnxruntime ({onnx_path.name}) start/end logits: max abs diff {worst:.2e}")
    if worst > a.tolerance:
        print(f"above the tolerance {a.tolerance}: not written", file=sys.stderr)
        return 1
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(model_dir / name, out / name)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
