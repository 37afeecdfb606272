#!/usr/bin/env python3
"""Dynamic int8 quantisation of the fp32 ONNX export (onnxruntime.quantization.quantize_dynamic, QInt8).

    training/.venv/bin/python training/quantize.py [--inp training/out/onnx/model.fp32.onnx --out training/out/onnx/model.onnx]

Weights of MatMul/Gather become int8 (per output channel unless --per-channel 0); activations are quantised at run time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import OUT


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inp", default=str(OUT / "onnx" / "model.fp32.onnx"))
    ap.add_argument("--out", default=str(OUT / "onnx" / "model.onnx"))
    ap.add_argument("--per-channel", type=int, default=1,
                    help="per output-channel weight scales (measured: ~1.5 F1 better than per-tensor here)")
    ap.add_argument("--exclude-qa-head", type=int, default=0, help="keep the 384x2 QA head MatMul in fp32")
    a = ap.parse_args()
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    m = onnx.load(a.inp)
    exclude = [n.name for n in m.graph.node if a.exclude_qa_head and n.op_type == "MatMul" and "qa_outputs" in n.name]
    quantize_dynamic(a.inp, a.out, weight_type=QuantType.QInt8, per_channel=bool(a.per_channel),
                     nodes_to_exclude=exclude, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    onnx.checker.check_model(onnx.load(a.out))
    print(f"{a.out}: {Path(a.out).stat().st_size / 1e6:.1f} MB (from {Path(a.inp).stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
