"""The quality benchmark driver and report (#29). Run with /usr/bin/python3 from the repository root.

  bench.py run DATA OUT --mode paired|unpaired --seeds 0-9 --epochs 4
      paired:   per seed, our init (ours-epochs.ts writes it) converted for PyTorch, and one order
                file (seeded numpy permutations) that both sides read.
      unpaired: per seed, each side its own init and order (ours: its seed; PyTorch: manual_seed).
  bench.py report OUT [OUT ...]
      test all-heads accuracy per epoch from each side's logits (one scorer for both, the reference's
      rule: a label of -1 counts as right) and the mean per-head accuracy (QUALITY_METRIC=head_mean,
      the default: at the small sizes here all-heads accuracy sits near the floor), the paired differences with a 90 % t interval, the sd
      ratio with Levene's and the F test, a curve plot (curves.svg) and a markdown table (report.md).
"""
import json, os, subprocess, sys, time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def seeds(spec):
    a, _, b = spec.partition("-")
    return list(range(int(a), int(b or a) + 1))


def run(data, out, mode, seed_list, epochs):
    meta = json.load(open(os.path.join(data, "meta.json")))
    n = len(meta["train"])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MLC_PIPE_THREADS": "1"}
    for s in seed_list:
        d = os.path.join(out, f"seed{s}")
        if os.path.exists(os.path.join(d, "torch", "curve.json")):
            continue
        os.makedirs(d, exist_ok=True)
        ours = ["npx", "tsx", os.path.join(HERE, "ours-epochs.ts"), data, os.path.join(d, "ours"), "--seed", str(s), "--epochs", str(epochs)]
        theirs = ["/usr/bin/python3", os.path.join(HERE, "torch_epochs.py"), data, os.path.join(d, "torch"), "--seed", str(s), "--epochs", str(epochs)]
        if mode == "paired":
            r = np.random.RandomState(10_000 + s)
            order = os.path.join(d, "order.json")
            json.dump([r.permutation(n).tolist() for _ in range(epochs)], open(order, "w"))
            ours += ["--order", order]
            theirs += ["--order", order, "--init", os.path.join(d, "ours", "init")]
        t = time.time()
        subprocess.run(ours, check=True, env=env)
        t1 = time.time()
        subprocess.run(theirs, check=True, env=env)
        print(f"{mode} seed {s}: ours {t1 - t:.0f}s, torch {time.time() - t1:.0f}s", flush=True)


METRIC = os.environ.get("QUALITY_METRIC", "head_mean")


def accuracy(logits, labels, heads, metric=None):
    """all_heads: an image is right when every known label is; head_mean: the mean over heads of each head's accuracy on its known labels."""
    y = np.array(labels)
    z = logits.reshape(len(y), sum(heads))
    ok = np.ones(len(y), bool)
    per_head = []
    off = 0
    for k, n in enumerate(heads):
        o = z[:, off:off + n]
        off += n
        pred = o.argmax(1) if n > 1 else (o[:, 0] > 0).astype(int)
        known = y[:, k] >= 0
        ok &= (pred == y[:, k]) | ~known
        per_head.append(float((pred[known] == y[known, k]).mean()))
    return float(ok.mean()) if (metric or METRIC) == "all_heads" else float(np.mean(per_head))


def curves(out, data_meta):
    res = {}
    for name in sorted(os.listdir(out)):
        if not name.startswith("seed"):
            continue
        row = {}
        for side in ("ours", "torch"):
            d = os.path.join(out, name, side)
            eps = sorted(int(f[12:-4]) for f in os.listdir(d) if f.startswith("test-logits-")) if os.path.isdir(d) else []
            if not os.path.exists(os.path.join(d, "curve.json")):
                break
            row[side] = [accuracy(np.fromfile(os.path.join(d, f"test-logits-{e}.bin"), np.float32), data_meta["test"], data_meta["heads"]) for e in eps]
            row[side + "_all"] = accuracy(np.fromfile(os.path.join(d, f"test-logits-{eps[-1]}.bin"), np.float32), data_meta["test"], data_meta["heads"], "all_heads")
        if "torch" in row:
            res[int(name[4:])] = row
    return res


def svg(res, path, title):
    W, H, P = 640, 360, 48
    E = max(len(r["ours"]) for r in res.values())
    allv = [v for r in res.values() for k in ("ours", "torch") for v in r[k]]
    lo, hi = min(allv), max(allv)
    x = lambda e: P + (W - 2 * P) * (e - 1) / max(1, E - 1)
    y = lambda v: H - P - (H - 2 * P) * (v - lo) / max(1e-9, hi - lo)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/><text x="{P}" y="20">{title}: test {METRIC} accuracy per epoch (blue mlc-pipe, orange PyTorch; one line per seed)</text>',
             f'<line x1="{P}" y1="{H - P}" x2="{W - P}" y2="{H - P}" stroke="black"/><line x1="{P}" y1="{P}" x2="{P}" y2="{H - P}" stroke="black"/>']
    for e in range(1, E + 1):
        parts.append(f'<text x="{x(e) - 4:.0f}" y="{H - P + 16}">{e}</text>')
    for v in np.linspace(lo, hi, 5):
        parts.append(f'<text x="4" y="{y(v) + 4:.0f}">{v:.2f}</text>')
    for r in res.values():
        for side, colour in (("ours", "#1f77b4"), ("torch", "#ff7f0e")):
            pts = " ".join(f"{x(i + 1):.1f},{y(v):.1f}" for i, v in enumerate(r[side]))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-opacity="0.7"/>')
    parts.append(f'<text x="{W / 2 - 20:.0f}" y="{H - 8}">epoch</text></svg>')
    open(path, "w").write("\n".join(parts))


def report(out):
    from scipy import stats
    cfg = json.load(open(os.path.join(out, "config.json")))
    meta = json.load(open(os.path.join(cfg["data"], "meta.json")))
    res = curves(out, meta)
    if not res:
        return f"{out}: no finished seeds\n"
    svg(res, os.path.join(out, "curves.svg"), f"{meta['set']} {cfg['mode']}")
    ours = np.array([r["ours"][-1] for r in res.values()])
    theirs = np.array([r["torch"][-1] for r in res.values()])
    lines = [f"### {meta['set']}, {cfg['mode']} ({len(res)} seeds, {len(meta['train'])} train / {len(meta['test'])} test at {meta['size'][0]}x{meta['size'][1]}, {cfg['epochs']} epochs)", "",
             f"Final test accuracy, {METRIC} (all-heads accuracy beside it).", "",
             "| seed | mlc-pipe | PyTorch | difference | all-heads mlc-pipe | all-heads PyTorch |", "|---|---|---|---|---|---|"]
    for s, r in sorted(res.items()):
        lines.append(f"| {s} | {r['ours'][-1]:.3f} | {r['torch'][-1]:.3f} | {r['ours'][-1] - r['torch'][-1]:+.3f} | {r['ours_all']:.3f} | {r['torch_all']:.3f} |")
    sd = lambda a: a.std(ddof=1) if len(a) > 1 else float("nan")
    lines.append(f"| mean ± sd | {ours.mean():.3f} ± {sd(ours):.3f} | {theirs.mean():.3f} ± {sd(theirs):.3f} | | | |")
    summary = {"set": meta["set"], "mode": cfg["mode"], "metric": METRIC, "seeds": len(res), "ours": ours.tolist(), "torch": theirs.tolist(), "curves": res}
    if len(res) > 1:
        d = ours - theirs
        if cfg["mode"] == "paired":
            half = stats.t.ppf(0.95, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            lines += ["", f"Paired difference (mlc-pipe − PyTorch): mean {d.mean() * 100:+.1f} points, 90 % CI [{(d.mean() - half) * 100:+.1f}, {(d.mean() + half) * 100:+.1f}]."]
            summary.update(mean_diff=float(d.mean()), ci90=[float(d.mean() - half), float(d.mean() + half)])
        ratio = ours.std(ddof=1) / max(1e-12, theirs.std(ddof=1))
        lev = stats.levene(ours, theirs, center="median")
        f = ratio ** 2
        pf = 2 * min(stats.f.cdf(f, len(ours) - 1, len(theirs) - 1), stats.f.sf(f, len(ours) - 1, len(theirs) - 1))
        lines += ["", f"sd ratio (mlc-pipe / PyTorch): {ratio:.2f}; Levene (median) p = {lev.pvalue:.2f}; F test p = {pf:.2f}."]
        summary.update(sd_ratio=float(ratio), levene_p=float(lev.pvalue), f_p=float(pf))
    json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)
    text = "\n".join(lines) + "\n"
    open(os.path.join(out, "report.md"), "w").write(text)
    return text


if __name__ == "__main__":
    if sys.argv[1] == "run":
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument("cmd"), ap.add_argument("data"), ap.add_argument("out")
        ap.add_argument("--mode", choices=["paired", "unpaired"], default="paired")
        ap.add_argument("--seeds", default="0-9"), ap.add_argument("--epochs", type=int, default=4)
        a = ap.parse_args()
        os.makedirs(a.out, exist_ok=True)
        json.dump({"data": os.path.abspath(a.data), "mode": a.mode, "epochs": a.epochs}, open(os.path.join(a.out, "config.json"), "w"))
        run(a.data, a.out, a.mode, seeds(a.seeds), a.epochs)
        print(report(a.out))
    else:
        for o in sys.argv[2:]:
            print(report(o))
