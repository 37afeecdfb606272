#!/usr/bin/env python3
"""Export the fine-tuned checkpoint to ONNX (opset 17, dynamic batch and sequence axes) and verify it.

    training/.venv/bin/python training/export_onnx.py [--ckpt training/out/model --out training/out/onnx/model.fp32.onnx]

Inputs: input_ids, attention_mask, token_type_ids (int64 [batch, sequence]).
Outputs: start_logits, end_logits (float32 [batch, sequence]).
Exported with torch.onnx.export (TorchScript exporter, dynamo=False) from eager attention. Verification: ORT vs
PyTorch logits on real dev-b question/paragraph pairs, single and right-padded batches; the script fails if the
max abs difference exceeds 1e-3 or if padding changes the real positions' logits.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from common import HELDOUT_FILE, OUT, load_tokenizer, read_squad

NAMES = ["input_ids", "attention_mask", "token_type_ids"]


class Wrap(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=True)
        return o.start_logits, o.end_logits


def export(model, path: Path) -> None:
    seq = 32
    args = (torch.randint(1000, 2000, (2, seq)), torch.ones(2, seq, dtype=torch.long), torch.zeros(2, seq, dtype=torch.long))
    dyn = {n: {0: "batch", 1: "sequence"} for n in NAMES + ["start_logits", "end_logits"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    wrap = Wrap(model).eval()  # a fresh Module is in training mode; export would restore that (dropout on)
    torch.onnx.export(wrap, args, str(path), input_names=NAMES, output_names=["start_logits", "end_logits"],
                      dynamic_axes=dyn, opset_version=17, do_constant_folding=True, dynamo=False)


def verify(model, onnx_path: Path, n: int = 24) -> dict:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    tok = load_tokenizer()
    exs = read_squad(HELDOUT_FILE)[:: max(1, 5609 // n)][:n]
    worst = worst_pad = 0.0
    encs = []
    for ex in exs:
        e = tok(ex["question"], ex["context"], truncation="only_second", max_length=384, return_tensors="np")
        feeds = {k: e[k].astype(np.int64) for k in NAMES}
        encs.append(feeds)
        with torch.no_grad():
            pt = model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
        s, en = sess.run(None, feeds)
        worst = max(worst, float(np.abs(s - pt.start_logits.numpy()).max()), float(np.abs(en - pt.end_logits.numpy()).max()))
    # right-padded batch of 8
    for i in range(0, len(encs), 8):
        grp = encs[i:i + 8]
        L = max(g["input_ids"].shape[1] for g in grp)
        batch = {k: np.stack([np.pad(g[k][0], (0, L - g[k].shape[1])) for g in grp]) for k in NAMES}
        bs, be = sess.run(None, batch)
        for j, g in enumerate(grp):
            m = g["input_ids"].shape[1]
            s, en = sess.run(None, g)
            worst_pad = max(worst_pad, float(np.abs(bs[j, :m] - s[0]).max()), float(np.abs(be[j, :m] - en[0]).max()))
    res = {"examples": len(exs), "ortVsPytorchMaxAbsDiff": worst, "paddedBatchVsSingleMaxAbsDiff": worst_pad}
    assert worst < 1e-3, res
    assert worst_pad < 1e-3, res
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=str(OUT / "model"))
    ap.add_argument("--out", default=str(OUT / "onnx" / "model.fp32.onnx"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    from transformers import BertForQuestionAnswering

    model = BertForQuestionAnswering.from_pretrained(a.ckpt, attn_implementation="eager").eval()
    out = Path(a.out)
    export(model, out)
    model.eval()
    import onnx

    m = onnx.load(str(out))
    onnx.checker.check_model(m)
    res = verify(model, out)
    res["opset"] = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    res["bytes"] = out.stat().st_size
    (out.parent / "export_check.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
