"""Pretrains torchvision's resnet18 (weights=None, seeded) on a 10-class Fashion-MNIST task: one garment
per 32x32 image, scaled to 14..32 px at a random place on black, grey replicated to RGB, the
preprocessing mlc-pipe applies with `pretrained:` (x/255, ImageNet mean/std).  Garments come from
samples PRETRAIN_TRAIN of each class (fashion.py); its own test accuracy is measured on PRETRAIN_TEST.
Writes work/fashion-resnet18.pth (torch.save(model.state_dict()), fc included: mlc-pipe ignores it).

  nice -n 15 /usr/bin/python3 bench/pretrained/pretrain.py [--epochs 3] [--threads 1]
"""
import argparse
import os
import time

import numpy as np
import torch
import torchvision

import fashion

SIZE = 32
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def make_set(x, lo, hi, seed):
    rng = np.random.default_rng(seed)
    n = 10 * (hi - lo)
    imgs = np.zeros((n, SIZE, SIZE), np.uint8)
    labels = np.zeros(n, np.int64)
    i = 0
    for c in range(10):
        for s in range(lo, hi):
            size = int(rng.integers(14, 33))
            fashion.stamp(imgs[i], x[c, s], size, int(rng.integers(0, SIZE - size + 1)), int(rng.integers(0, SIZE - size + 1)))
            labels[i] = c
            i += 1
    return imgs, labels


def tensor(imgs):
    rgb = np.repeat(imgs[..., None].astype(np.float32) / 255.0, 3, axis=3)
    return torch.from_numpy(((rgb - MEAN) / STD).transpose(0, 3, 1, 2).copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(fashion.WORK, "fashion-resnet18.pth"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = fashion.load()
    tr_x, tr_y = make_set(x, *fashion.PRETRAIN_TRAIN, seed=1)
    te_x, te_y = make_set(x, *fashion.PRETRAIN_TEST, seed=2)
    xt, yt = tensor(tr_x), torch.from_numpy(tr_y)
    xe, ye = tensor(te_x), torch.from_numpy(te_y)
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    steps = a.epochs * ((len(xt) + a.batch - 1) // a.batch)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=steps, pct_start=0.15)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        total = 0.0
        for b in range(0, len(xt), a.batch):
            idx = perm[b:b + a.batch]
            xb = xt[idx]
            if torch.rand(1, generator=g).item() < 0.5:
                xb = xb.flip(3)
            loss = loss_fn(model(xb), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xe[b:b + 256]).argmax(1) for b in range(0, len(xe), 256)])
        acc = (pred == ye).float().mean().item()
        print(f"epoch {epoch + 1}/{a.epochs} train loss {total / len(xt):.4f} pretraining-test accuracy {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    torch.save(model.state_dict(), a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
