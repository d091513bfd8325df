"""Our init draws (init-draws.ts) against PyTorch's own (torch.manual_seed(s); ResNet18), seed by seed:
what the whole initial model does, not only tensor by tensor. For each init, on the first 256 training
images of DATA: the train-mode loss and logit sd (the first step's view), the eval-mode logit sd and the
pooled features' mean and sd; then, over the seeds, both sides' mean and sd of each with a t test and
Levene's test. Per tensor: the sd over all draws, ours / PyTorch's (the five furthest from 1). Within an
init: the correlation, across inits, of the tensors' sample sds (a shared scale factor would show here).

  /usr/bin/python3 bench/quality/init_draws.py INITS DATA --seeds 100 139
"""
import argparse, json, os, sys

import numpy as np
import torch
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402

FEATURES = ("train-mode loss", "train-mode logit sd", "eval-mode logit sd", "feature mean", "feature sd")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inits"), ap.add_argument("data"), ap.add_argument("--seeds", nargs=2, type=int, default=[100, 139])
    a = ap.parse_args()
    torch.set_num_threads(1)
    meta = json.load(open(os.path.join(a.data, "meta.json")))
    h, w = meta["size"]
    heads = meta["heads"]
    x = torch.from_numpy(np.fromfile(os.path.join(a.data, "train.bin"), np.float32, 256 * h * w * 3).reshape(256, h, w, 3).transpose(0, 3, 1, 2).copy())
    y = torch.tensor(meta["train"][:256])

    def features(m):
        with torch.no_grad():
            m.train()
            o = m(x)
            out = [float(C.R.loss_fn(o, y, heads)), float(np.mean([t.std().item() for t in o]))]
            m.eval()
            out.append(float(np.mean([t.std().item() for t in m(x)])))
            f = m.body(x).mean(dim=(2, 3))
            return out + [float(f.mean()), float(f.std())]

    # Per side: the features of every init, running sums per tensor (n, sum, sum of squares, max |.|) and
    # every init's per-conv-tensor sample sd (a whole state dict per init would not fit in memory for 200).
    sides = {k: {"f": [], "acc": {}, "sds": []} for k in ("ours", "torch")}
    for s in range(a.seeds[0], a.seeds[1] + 1):
        torch.manual_seed(s)
        theirs = C.R.ResNet18(heads)  # first after the seed: torch_epochs.py's torch-own init
        for name, m in (("ours", C.reference_model(os.path.join(a.inits, f"seed{s}"))), ("torch", theirs)):
            side = sides[name]
            sds = []
            for k, v in m.state_dict().items():
                if not (k.endswith("weight") or k.endswith("bias")):
                    continue
                v = v.double()
                acc = side["acc"].setdefault(k, [0, 0.0, 0.0, 0.0])
                acc[0] += v.numel()
                acc[1] += float(v.sum())
                acc[2] += float((v * v).sum())
                acc[3] = max(acc[3], float(v.abs().max()))
                if v.dim() == 4:
                    sds.append(float(v.std()))
            side["sds"].append(sds)
            side["f"].append(features(m))
    o, t = np.array(sides["ours"]["f"]), np.array(sides["torch"]["f"])
    print(f"{len(o)} inits a side")
    for j, name in enumerate(FEATURES):
        print(f"{name:20s} ours {o[:, j].mean():.4f} ± {o[:, j].std(ddof=1):.4f}  PyTorch {t[:, j].mean():.4f} ± {t[:, j].std(ddof=1):.4f}"
              f"  t p = {stats.ttest_ind(o[:, j], t[:, j]).pvalue:.2f}  sd ratio {o[:, j].std(ddof=1) / t[:, j].std(ddof=1):.2f}"
              f"  Levene p = {stats.levene(o[:, j], t[:, j]).pvalue:.2f}")
    sd = lambda n, s1, s2: np.sqrt(max(0.0, s2 / n - (s1 / n) ** 2))
    rows = []
    for k, (n, s1, s2, mx) in sides["ours"]["acc"].items():
        n2, t1, t2, tm = sides["torch"]["acc"][k]
        a_sd, b_sd = sd(n, s1, s2), sd(n2, t1, t2)
        if a_sd == 0 and b_sd == 0:
            if s1 != t1:
                print(f"{k}: constant, ours {s1 / n} PyTorch {t1 / n2}")
            continue
        rows.append((abs(a_sd / b_sd - 1), k, a_sd / b_sd, mx / tm, n))
    rows.sort(reverse=True)
    print("per tensor, sd ours / PyTorch over all draws (furthest from 1): "
          + "; ".join(f"{k} {r:.3f} (max ratio {mr:.3f}, {n} values)" for _, k, r, mr, n in rows[:5]))
    for name, side in sides.items():
        D = np.array(side["sds"])
        D = D / D.mean(0) - 1
        c = np.corrcoef(D.T)
        print(f"{name}: correlation across inits of the conv tensors' sample sds, mean off-diagonal {c[np.triu_indices_from(c, 1)].mean():+.3f}")

if __name__ == "__main__":
    main()
