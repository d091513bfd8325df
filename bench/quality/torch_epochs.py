"""PyTorch side of the epoch-level benchmark (see ours-epochs.ts): the reference ResNet18, Adam 1e-3,
batch 32, its loss_fn, fp32, one thread; the test logits after every epoch.

  /usr/bin/python3 bench/quality/torch_epochs.py DATA OUT --seed S --epochs E [--init DIR] [--order FILE] [--curve-n N] [--precision fp32|bf16]

Paired: --init (our folder, through torch_convert.py) and --order (the shared order file).
Unpaired: torch.manual_seed(S) init and torch.randperm order, as torch_reference.py's train mode.
--init without --order: our init in PyTorch's own order for S (the order comes from a generator seeded
by S alone, so it is the unpaired run's order). OUT/order.json: the order it trained in.
--order-seed N: the order generator seeded by N instead of S. torch_reference.py seeds init and order
with the same S: two copies of one mt19937 stream (randperm takes word % (n − i), uniform_ a float its
low 24 bits, word for word), so its init and order come from the same words; --order-seed S + 1000003
keeps PyTorch's own init and draws the order from a stream of its own, as ours does.
--curve-n N: epochs before the last score only the first N test images; the last scores them all.
--precision bf16: PyTorch's CPU autocast to bfloat16 around the forward pass (training and test), the
loss in fp32 on the logits cast back, as torch_reference.py's --amp bf16; fp32 by default.
"""
import argparse, contextlib, json, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data"), ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0), ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--init"), ap.add_argument("--order"), ap.add_argument("--curve-n", type=int)
    ap.add_argument("--order-seed", type=int, help="seed of the order generator (default: --seed)")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    h, w = meta["size"]
    heads = meta["heads"]
    load = lambda f, n: torch.from_numpy(np.ascontiguousarray(np.fromfile(os.path.join(a.data, f), np.float32).reshape(n, h, w, 3).transpose(0, 3, 1, 2)))
    xs, ys = load("train.bin", len(meta["train"])), torch.tensor(meta["train"], dtype=torch.int64)
    vx = load("test.bin", len(meta["test"]))
    model = C.reference_model(a.init) if a.init else C.R.ResNet18(heads)
    order = json.load(open(a.order)) if a.order else None
    g = torch.Generator().manual_seed(a.seed if a.order_seed is None else a.order_seed)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    amp = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext
    curve, drawn = [], []
    for e in range(a.epochs):
        model.train()
        perm = torch.tensor(order[e]) if order else torch.randperm(len(xs), generator=g)
        drawn.append(perm.tolist())
        total = 0.0
        for i in range(0, len(xs), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            with amp():
                outs = model(xs[idx])
            loss = C.R.loss_fn([o.float() for o in outs], ys[idx], heads)
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        model.eval()
        with torch.no_grad():
            n_test = len(vx) if e == a.epochs - 1 or a.curve_n is None else min(a.curve_n, len(vx))
            with amp():
                parts = [torch.cat([o.float() for o in model(vx[i:min(i + 100, n_test)])], 1) for i in range(0, n_test, 100)]
        np.concatenate([p.numpy() for p in parts]).astype(np.float32).tofile(os.path.join(a.out, f"test-logits-{e + 1}.bin"))
        curve.append({"epoch": e + 1, "loss": total / len(xs)})
    json.dump(drawn, open(os.path.join(a.out, "order.json"), "w"))  # the order it trained in (its own draw, or --order's)
    json.dump(curve, open(os.path.join(a.out, "curve.json"), "w"))


if __name__ == "__main__":
    main()
