#!/usr/bin/env python3
"""bench/peers' Python peer: Hugging Face transformers' pipeline("question-answering"), PyTorch on CPU.

Started by bench/peers/peers.ts (not meant to be run by hand):

    training/.venv/bin/python bench/peers/hf_pipeline_peer.py --workload W.json --model DIR --threads N

W.json: [{"id", "question", "context"}, ...]. DIR: a BertForQuestionAnswering folder (bench/peers/make_torch_model.py
makes it from the bundled model's fp32 export). Protocol on stdin/stdout, one JSON object per line: after loading
and a warm-up it prints {"ready": {...}}; each "run" line answers every question once, one pipeline call per
question (as a service answers one request at a time), and prints {"answers", "ms", "modelMs"}; "run FROM TO"
answers items[FROM:TO] only; "cpuMs" is the process's CPU time (all threads) for them; "quit" ends it.
The pipeline is called with its defaults, written out: max_seq_len 384, doc_stride 128, max_answer_len 15,
top_k 1, handle_impossible_answer False, align_to_words True.
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args()

    import torch
    import transformers
    from transformers import BertForQuestionAnswering, BertTokenizerFast, pipeline

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    items = json.load(open(a.workload, encoding="utf-8"))
    model = BertForQuestionAnswering.from_pretrained(a.model, attn_implementation="eager").eval()
    tok = BertTokenizerFast(tokenizer_file=f"{a.model}/tokenizer.json", do_lower_case=True, model_max_length=512)
    qa = pipeline("question-answering", model=model, tokenizer=tok, device=-1, framework="pt")

    model_ms = [0.0]
    forward = model.forward

    def timed_forward(*args, **kwargs):  # measurement only: the time inside the model
        t = time.perf_counter()
        out = forward(*args, **kwargs)
        model_ms[0] += (time.perf_counter() - t) * 1000
        return out

    model.forward = timed_forward
    kwargs = dict(top_k=1, max_seq_len=384, doc_stride=128, max_answer_len=15, handle_impossible_answer=False,
                  align_to_words=True)
    for it in items[:8]:
        qa(question=it["question"], context=it["context"], **kwargs)
    info = {"runtime": f"transformers {transformers.__version__}, torch {torch.__version__} (CPU), fp32",
            "threads": torch.get_num_threads()}
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        cmd, *span = line.split()
        if cmd == "quit":
            break
        if cmd != "run":
            continue
        lo, hi = (int(span[0]), int(span[1])) if span else (0, len(items))
        answers, ms = [], []
        model_ms[0] = 0.0
        cpu = time.process_time()
        with torch.inference_mode():
            for it in items[lo:hi]:
                t = time.perf_counter()
                out = qa(question=it["question"], context=it["context"], **kwargs)
                ms.append((time.perf_counter() - t) * 1000)
                answers.append(out["answer"])
        cpu_ms = (time.process_time() - cpu) * 1000
        print(json.dumps({"answers": answers, "ms": ms, "modelMs": model_ms[0], "cpuMs": cpu_ms}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
