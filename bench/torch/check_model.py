"""Load a model.safetensors written by `darts train` into PyTorch and score it.

    /usr/bin/python3 bench/torch/check_model.py runs/retrain-small/model.safetensors \
        ../shared/data/cifar-10-batches-bin/test_batch.bin

Rebuilds the evaluation network (bench/torch/darts_model.py, the original's
NetworkCIFAR) from the file's metadata, loads every tensor with a strict
load_state_dict, and prints the test accuracy on a CIFAR-10 binary batch
file, normalised as darts-go does. It should equal `darts eval`.
"""
import collections
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from darts_model import NetworkCIFAR  # noqa: E402
import safetensors_io  # noqa: E402

Genotype = collections.namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def main():
    model_path, batch_path = sys.argv[1], sys.argv[2]
    tensors, meta, _ = safetensors_io.load(model_path)
    g = json.loads(meta["genotype"])
    genotype = Genotype([tuple(e) for e in g["normal"]], g["normal_concat"],
                        [tuple(e) for e in g["reduce"]], g["reduce_concat"])
    aux = meta.get("auxiliary") == "true"
    net = NetworkCIFAR(int(meta["init_channels"]), int(meta["num_classes"]), int(meta["layers"]), aux, genotype)
    net.load_state_dict(tensors, strict=True)
    net.eval()
    raw = np.fromfile(batch_path, dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    x = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    x = (x - MEAN[None, :, None, None]) / STD[None, :, None, None]
    x = torch.from_numpy(x)
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 500):
            out = net(x[i:i + 500])
            logits = out[0] if isinstance(out, tuple) else out
            correct += (logits.argmax(1) == labels[i:i + 500]).sum().item()
    print("PyTorch test accuracy: %.2f%% (%d/%d); darts-go reported %s%%" % (
        100.0 * correct / len(x), correct, len(x), meta.get("test_acc", "?")))


if __name__ == "__main__":
    main()
