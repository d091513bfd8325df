"""The quality benchmark driver and report (#29). Run with /usr/bin/python3 from the repository root.

  bench.py run DATA OUT [DATA OUT ...] --seeds 0-9 --epochs 5 [--curve-n N] [--jobs J] [--arms ours,torch,torch-own]
                [--precision fp32|bf16]
      per seed, up to five arms into OUT/seedS/: ours (our natural run: its seed's init and order; it writes
      the init and order.json), torch (paired: PyTorch from our init, converted, in our order),
      torch-own (unpaired: PyTorch's own init and order for the seed), torch-init (PyTorch from our
      init in torch-own's order: splits init from order, see split()) and torch-apart (torch-own's init,
      its order from a generator seeded apart: torch-own's init and order share one mt19937 stream's
      words, ours do not). Finished arms are skipped;
      J arms at once, first set first (see run()). --precision bf16: ours in mixed precision, PyTorch
      under autocast bf16 (an OUT holds one precision).
  bench.py report OUT [OUT ...] [--results DIR] [--seeds 30-49]
      both tables from the finished seeds: paired (ours vs torch) and unpaired (ours vs torch-own).
      One scorer for both sides: test all-heads accuracy (the reference's rule: a label of -1 counts
      as right) and the mean per-head accuracy; the differences with a 90 % t interval (paired t;
      Welch for unpaired), the sd ratio with Levene's (median) and the F test, the test-sampling sd
      of each seed's difference, curve plots and report-<mode>.md in OUT; with --results the summary
      JSON and plot also as DIR/<set>-<mode>.{json,svg}. Where torch-init ran: the init/order split
      (report-split.md, DIR/<set>-split.json): each arm over its seeds, each comparison over the seeds both ran.
      --seeds: both tables over those seeds alone (a replication's subset), printed only, no file written.
  bench.py precision FP32OUT BF16OUT [--results DIR]
      bf16 against fp32 per arm (ours, torch) over the seeds both folders finished (the same init and
      order in both): per seed the difference bf16 − fp32 with its test-sampling sd, per arm the mean
      difference with a paired-t 90 % interval, and ours' difference minus torch's (report-bf16-vs-fp32.md
      in BF16OUT; DIR/<set>-bf16-vs-fp32.json with --results).
"""
import json, os, subprocess, sys, time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def seeds(spec):
    """'0-9', '0,2,4' or a mix ('0-3,8')."""
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


def commands(data, d, s, extra):
    return {
        "ours": ["npx", "tsx", os.path.join(HERE, "ours-epochs.ts"), data, os.path.join(d, "ours"), "--seed", str(s)] + extra,
        "torch": ["/usr/bin/python3", os.path.join(HERE, "torch_epochs.py"), data, os.path.join(d, "torch"), "--seed", str(s),
                  "--order", os.path.join(d, "ours", "order.json"), "--init", os.path.join(d, "ours", "init")] + extra,
        "torch-own": ["/usr/bin/python3", os.path.join(HERE, "torch_epochs.py"), data, os.path.join(d, "torch-own"), "--seed", str(s)] + extra,
        # PyTorch from our init in its own order: torch_epochs.py's order generator is seeded by --seed alone,
        # so this arm sees exactly torch-own's order and differs from it in the init only, and from torch in the order only.
        "torch-init": ["/usr/bin/python3", os.path.join(HERE, "torch_epochs.py"), data, os.path.join(d, "torch-init"), "--seed", str(s),
                       "--init", os.path.join(d, "ours", "init")] + extra,
        # torch-own's init (torch.manual_seed(s)), its order from a generator seeded apart: torch-own draws both from
        # two copies of one mt19937 stream (the same words); this arm decouples them, as ours are.
        "torch-apart": ["/usr/bin/python3", os.path.join(HERE, "torch_epochs.py"), data, os.path.join(d, "torch-apart"), "--seed", str(s),
                        "--order-seed", str(s + 1000003)] + extra,
    }


def run(pairs, seed_list, epochs, curve_n=None, arms=("ours", "torch", "torch-own"), jobs=1, paired_first=False, precision="fp32"):
    """Per (DATA, OUT) pair and seed, three arms into OUT/seedS/: `ours` (our natural run: init and
    order from the seed; it writes ours/init and ours/order.json), `torch` (paired: PyTorch from
    ours/init, converted, in ours/order.json's order) and `torch-own` (unpaired: PyTorch's own init
    and order for the seed). The paired table is ours vs torch, the unpaired one ours vs torch-own
    (see README: our paired side IS our natural run, so only PyTorch's own runs are extra).
    `jobs` runs at once, in priority order: the pairs in the order given, seeds ascending, and per
    seed ours, torch-own, torch (torch waits for ours; with paired_first, all seeds' ours and torch
    before any torch-own). `jobs` may be a file holding the number, read before each arm starts
    (to change it while running). A finished arm (curve.json) is skipped; an
    arm folder left without curve.json when this starts counts as running elsewhere and is waited
    for (delete it to rerun it)."""
    import threading
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MLC_PIPE_THREADS": "1"}
    extra = ["--epochs", str(epochs)] + (["--curve-n", str(curve_n)] if curve_n else []) + ["--precision", precision]
    order = {"ours": 0, "torch-own": 1, "torch": 2, "torch-init": 3, "torch-apart": 4}
    tasks = []
    for data, out in pairs:
        os.makedirs(out, exist_ok=True)
        cfg = os.path.join(out, "config.json")
        if os.path.exists(cfg) and json.load(open(cfg)).get("precision", "fp32") != precision:
            raise SystemExit(f"{out} holds {json.load(open(cfg)).get('precision', 'fp32')} runs; use another folder for {precision}")
        json.dump({"data": os.path.abspath(data), "epochs": epochs, "precision": precision}, open(cfg, "w"))
        for s in seed_list:
            d = os.path.join(out, f"seed{s}")
            os.makedirs(d, exist_ok=True)
            for arm in sorted(arms, key=order.get):
                tasks.append((data, d, s, arm))
    if paired_first:
        tasks.sort(key=lambda t: t[3] == "torch-own")
    done = lambda d, arm: os.path.exists(os.path.join(d, arm, "curve.json"))
    pending = [t for t in tasks if not done(t[1], t[3]) and not os.path.isdir(os.path.join(t[1], t[3]))]
    lock = threading.Lock()

    def allowed(i):
        try:
            return i < int(open(jobs).read()) if isinstance(jobs, str) else i < jobs
        except (OSError, ValueError):
            return i == 0

    def worker(i):
        while True:
            if not allowed(i):
                with lock:
                    if not pending:
                        return
                time.sleep(10)
                continue
            with lock:
                ready = [t for t in pending if t[3] not in ("torch", "torch-init") or done(t[1], "ours")]
                if not ready and not pending:
                    return
                t = ready[0] if ready else None
                if t:
                    pending.remove(t)
            if not t:
                time.sleep(5)
                continue
            data, d, s, arm = t
            t0 = time.time()
            # A session of its own per arm: under the kernel's autogroup scheduling a session shares the
            # CPU with the machine's other sessions as one unit, whatever its number of processes.
            subprocess.run(commands(data, d, s, extra)[arm], check=True, env=env, start_new_session=True)
            print(f"{d} {arm}: {time.time() - t0:.0f}s", flush=True)

    most = 16 if isinstance(jobs, str) else jobs
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(most)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


METRICS = ("all_heads", "head_mean", "auc")
MODES = {"paired": "torch", "unpaired": "torch-own"}


def auc(z, y, heads):
    """The mean over heads of each head's ROC AUC on its known labels (one-vs-rest macro for a head of
    several classes): a threshold-free score that moves before the accuracies leave their floor."""
    from sklearn.metrics import roc_auc_score
    out, off = [], 0
    for k, n in enumerate(heads):
        o, known = z[:, off:off + n], y[:, k] >= 0
        off += n
        if n <= 2:
            out.append(roc_auc_score(y[known, k], o[known, 0] if n == 1 else o[known, 1] - o[known, 0]))
        else:
            p = np.exp(o[known] - o[known].max(1, keepdims=True))
            out.append(roc_auc_score(y[known, k], p / p.sum(1, keepdims=True), multi_class="ovr", labels=list(range(n))))
    return float(np.mean(out))


def accuracy(logits, labels, heads, metric):
    """all_heads: an image is right when every known label is (the reference's rule: a -1 label counts
    as right); head_mean: the mean over heads of each head's accuracy on its known labels; auc: see
    auc(). Scores the first len(logits) / sum(heads) images of `labels` (the curve epochs score a prefix)."""
    z = logits.reshape(-1, sum(heads))
    y = np.array(labels[:len(z)])
    if metric == "auc":
        return auc(z, y, heads)
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
    return (ok if metric == "right" else float(ok.mean())) if metric in ("all_heads", "right") else float(np.mean(per_head))


def side(d, meta):
    """One arm's run folder: per-epoch accuracies (both metrics), the final epoch's per-image all-heads
    rightness, and the training loss per epoch; None while unfinished."""
    if not os.path.exists(os.path.join(d, "curve.json")):
        return None
    eps = sorted(int(f[12:-4]) for f in os.listdir(d) if f.startswith("test-logits-"))
    z = {e: np.fromfile(os.path.join(d, f"test-logits-{e}.bin"), np.float32) for e in eps}
    r = {m: [accuracy(z[e], meta["test"], meta["heads"], m) for e in eps] for m in METRICS}
    r["right"] = accuracy(z[eps[-1]], meta["test"], meta["heads"], "right")
    r["loss"] = [c["loss"] for c in json.load(open(os.path.join(d, "curve.json")))]
    return r


def collect(out, meta, arm, only=None):
    res = {}
    for name in sorted(os.listdir(out), key=lambda n: int(n[4:]) if n[4:].isdigit() else -1):
        if name.startswith("seed") and (only is None or (name[4:].isdigit() and int(name[4:]) in only)):
            a, b = side(os.path.join(out, name, "ours"), meta), side(os.path.join(out, name, arm), meta)
            if a and b:
                res[int(name[4:])] = {"ours": a, "torch": b}
    return res


def svg(res, path, title, metric):
    W, H, P = 640, 360, 48
    E = max(len(r["ours"][metric]) for r in res.values())
    allv = [v for r in res.values() for k in ("ours", "torch") for v in r[k][metric]]
    lo, hi = min(allv), max(allv)
    x = lambda e: P + (W - 2 * P) * (e - 1) / max(1, E - 1)
    y = lambda v: H - P - (H - 2 * P) * (v - lo) / max(1e-9, hi - lo)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/><text x="{P}" y="16">{title}: test {metric} accuracy per epoch</text>',
             f'<text x="{P}" y="32">blue mlc-pipe, orange PyTorch, one line per seed; last epoch on the whole test set, earlier ones on a prefix</text>',
             f'<line x1="{P}" y1="{H - P}" x2="{W - P}" y2="{H - P}" stroke="black"/><line x1="{P}" y1="{P}" x2="{P}" y2="{H - P}" stroke="black"/>']
    for e in range(1, E + 1):
        parts.append(f'<text x="{x(e) - 4:.0f}" y="{H - P + 16}">{e}</text>')
    for v in np.linspace(lo, hi, 5):
        parts.append(f'<text x="4" y="{y(v) + 4:.0f}">{v:.2f}</text>')
    for r in res.values():
        for k, colour in (("ours", "#1f77b4"), ("torch", "#ff7f0e")):
            pts = " ".join(f"{x(i + 1):.1f},{y(v):.1f}" for i, v in enumerate(r[k][metric]))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-opacity="0.7"/>')
    parts.append(f'<text x="{W / 2 - 20:.0f}" y="{H - 8}">epoch</text></svg>')
    open(path, "w").write("\n".join(parts))


def diff_svg(diffs, ci, path, title):
    """Per-seed paired differences (points) as dots, their mean and 90 % CI as a bar, the ±1 and ±2 point target lines."""
    W, H, P = 640, 220, 48
    lim = max(3.0, max(abs(v) for v in diffs) * 1.1, abs(ci[0]) * 1.1, abs(ci[1]) * 1.1)
    x = lambda v: P + (W - 2 * P) * (v + lim) / (2 * lim)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/><text x="{P}" y="18">{title}</text>',
             f'<text x="{P}" y="34">paired difference mlc-pipe − PyTorch (points, all heads); dots: seeds; bar: mean with 90 % CI; grey: ±1, ±2 targets</text>']
    for v, dash in ((1, "2,2"), (2, "6,3")):
        for sgn in (-1, 1):
            parts.append(f'<line x1="{x(sgn * v):.1f}" y1="50" x2="{x(sgn * v):.1f}" y2="{H - P}" stroke="grey" stroke-dasharray="{dash}"/>')
    parts.append(f'<line x1="{x(0):.1f}" y1="50" x2="{x(0):.1f}" y2="{H - P}" stroke="black"/>')
    for i, v in enumerate(diffs):
        parts.append(f'<circle cx="{x(v):.1f}" cy="{80 + (i % 5) * 8}" r="3" fill="#1f77b4"/>')
    m = (ci[0] + ci[1]) / 2
    parts.append(f'<line x1="{x(ci[0]):.1f}" y1="150" x2="{x(ci[1]):.1f}" y2="150" stroke="#d62728" stroke-width="3"/><circle cx="{x(m):.1f}" cy="150" r="5" fill="#d62728"/>')
    for v in np.linspace(-lim, lim, 7):
        parts.append(f'<text x="{x(v) - 10:.0f}" y="{H - P + 16}">{v:+.1f}</text>')
    parts.append("</svg>")
    open(path, "w").write("\n".join(parts))


def sd_ratio_ci(r, n1, n2, level=0.90):
    """The F-distribution interval for σ1/σ2 from an observed sd ratio r of two independent normal
    samples with n1 and n2 degrees of freedom: (s1²/s2²)/(σ1²/σ2²) ~ F(n1, n2). Assumes normality (as the F test)."""
    from scipy import stats
    a = (1 - level) / 2
    return [float(r / np.sqrt(stats.f.ppf(1 - a, n1, n2))), float(r / np.sqrt(stats.f.ppf(a, n1, n2)))]


def stats_of(ours, theirs, paired):
    from scipy import stats
    o = {"ours_mean": float(ours.mean()), "torch_mean": float(theirs.mean()), "ours_sd": float(ours.std(ddof=1)), "torch_sd": float(theirs.std(ddof=1))}
    d = ours - theirs
    half = stats.t.ppf(0.95, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    o.update(mean_diff=float(d.mean()), diff_sd=float(d.std(ddof=1)), ci90=[float(d.mean() - half), float(d.mean() + half)])
    if not paired:  # Welch's interval for two independent samples
        se = np.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
        df = se ** 4 / ((ours.var(ddof=1) / len(ours)) ** 2 / (len(ours) - 1) + (theirs.var(ddof=1) / len(theirs)) ** 2 / (len(theirs) - 1))
        h = stats.t.ppf(0.95, df) * se
        o.update(ci90=[float(d.mean() - h), float(d.mean() + h)], welch_p=float(stats.ttest_ind(ours, theirs, equal_var=False).pvalue))
    o["sd_ratio"] = float(ours.std(ddof=1) / max(1e-12, theirs.std(ddof=1)))
    o["levene_p"] = float(stats.levene(ours, theirs, center="median").pvalue)
    f, n1, n2 = o["sd_ratio"] ** 2, len(ours) - 1, len(theirs) - 1
    o["f_p"] = float(2 * min(stats.f.cdf(f, n1, n2), stats.f.sf(f, n1, n2)))
    o["sd_ratio_ci90"] = sd_ratio_ci(o["sd_ratio"], n1, n2)
    if paired:
        o["corr"] = float(np.corrcoef(ours, theirs)[0, 1])
    return o


def report(out, mode, results=None, only=None):
    """The markdown table of one mode (paired: ours vs torch; unpaired: ours vs torch-own) over the
    finished seeds, curves-<mode>.svg in OUT, and the summary (also RESULTS/<set>-<mode>.json).
    `only` (a set of seeds): those seeds alone, printed, no file written (a replication's subset)."""
    cfg = json.load(open(os.path.join(out, "config.json")))
    meta = json.load(open(os.path.join(cfg["data"], "meta.json")))
    res = collect(out, meta, MODES[mode], only)
    if len(res) < 2:
        return f"{out} {mode}: fewer than 2 finished seeds\n"
    name = ("fashion" if meta["set"].startswith("fashion") else meta["set"]) + ("" if cfg.get("precision", "fp32") == "fp32" else "-" + cfg["precision"])
    if only is not None:
        results = None
    svgs = ([os.path.join(out, f"curves-{mode}.svg")] if only is None else []) + ([os.path.join(results, f"{name}-{mode}.svg")] if results else [])
    for p in svgs:
        svg(res, p, f"{meta['set']} {mode} ({len(res)} seeds)", "all_heads")
    paired = mode == "paired"
    prec = cfg.get("precision", "fp32")
    lines = [f"#### {meta['set']}, {mode}{'' if prec == 'fp32' else f', {prec} (ours: precision bf16; PyTorch: autocast bf16)'} ({len(res)} seeds{'' if only is None else f' {min(res)}-{max(res)}'}, {len(meta['train'])} train / {len(meta['test'])} test at {meta['size'][0]}x{meta['size'][1]}, {cfg['epochs']} epochs)", "",
             "Final test accuracy, all heads right (the mean per-head accuracy beside it). The test-noise column: the sd of the difference that drawing",
             "the test images alone gives (from the images one side gets right and the other wrong).", "",
             "| seed | mlc-pipe | PyTorch | difference | test-noise sd | head mean mlc-pipe | head mean PyTorch |", "|---|---|---|---|---|---|---|"]
    noise = []
    for s, r in sorted(res.items()):
        a, b = r["ours"]["right"], r["torch"]["right"]
        dd = a.astype(float) - b.astype(float)
        noise.append(dd.std() / np.sqrt(len(dd)))
        lines.append(f"| {s} | {r['ours']['all_heads'][-1]:.3f} | {r['torch']['all_heads'][-1]:.3f} | {dd.mean():+.3f} | {noise[-1]:.3f} | {r['ours']['head_mean'][-1]:.3f} | {r['torch']['head_mean'][-1]:.3f} |")
    summary = {"set": meta["set"], "mode": mode, "precision": prec, "seeds": sorted(res), "train": len(meta["train"]), "test": len(meta["test"]), "size": meta["size"], "epochs": cfg["epochs"],
               "test_noise_sd": float(np.mean(noise)), "per_seed": {s: {k: {m: r[k][m] for m in METRICS + ("loss",)} for k in ("ours", "torch")} for s, r in res.items()}}
    for m in METRICS:
        ours = np.array([r["ours"][m][-1] for r in res.values()])
        theirs = np.array([r["torch"][m][-1] for r in res.values()])
        st = stats_of(ours, theirs, paired)
        summary[m] = st
        if m == "all_heads":
            lines.append(f"| mean ± sd | {st['ours_mean']:.3f} ± {st['ours_sd']:.3f} | {st['torch_mean']:.3f} ± {st['torch_sd']:.3f} | {st['mean_diff']:+.3f} ± {st['diff_sd']:.3f} | {np.mean(noise):.3f} | | |")
            lines.append("")
        label = {"all_heads": "all heads", "head_mean": "head mean", "auc": "head AUC"}[m]
        ci = f"90 % CI [{st['ci90'][0] * 100:+.1f}, {st['ci90'][1] * 100:+.1f}]" + ("" if paired else f" (Welch), p = {st['welch_p']:.2f}")
        extra = f"; correlation of the paired sides {st['corr']:.2f}" if paired else ""
        rci = "" if paired else f", 90 % CI [{st['sd_ratio_ci90'][0]:.2f}, {st['sd_ratio_ci90'][1]:.2f}]"
        lines.append(f"- {label}: difference (mlc-pipe − PyTorch) {st['mean_diff'] * 100:+.1f} points, {ci}; sd ratio {st['sd_ratio']:.2f}"
                     f" ({st['ours_sd'] * 100:.1f} / {st['torch_sd'] * 100:.1f} points){rci}, Levene (median) p = {st['levene_p']:.2f}, F p = {st['f_p']:.2f}{extra}.")
    lines += ["", "Training loss per epoch (mean over the epoch's batches), mean over seeds: mlc-pipe "
              + " / ".join(f"{v:.3f}" for v in np.mean([r["ours"]["loss"] for r in res.values()], 0)) + "; PyTorch "
              + " / ".join(f"{v:.3f}" for v in np.mean([r["torch"]["loss"] for r in res.values()], 0)) + "."]
    if paired and only is None:
        st = summary["all_heads"]
        diffs = [(r["ours"]["all_heads"][-1] - r["torch"]["all_heads"][-1]) * 100 for r in res.values()]
        for p in [os.path.join(out, "diff-paired.svg")] + ([os.path.join(results, f"{name}-paired-diff.svg")] if results else []):
            diff_svg(diffs, [v * 100 for v in st["ci90"]], p, f"{meta['set']} paired ({len(res)} seeds)")
    if results:
        json.dump(summary, open(os.path.join(results, f"{name}-{mode}.json"), "w"), indent=1)
    text = "\n".join(lines) + "\n"
    if only is None:
        open(os.path.join(out, f"report-{mode}.md"), "w").write(text)
    return text


SPLIT_ARMS = ("ours", "torch", "torch-init", "torch-own", "torch-apart")
SPLIT_LABEL = {"ours": "mlc-pipe", "torch": "PyTorch, our init + our order", "torch-init": "PyTorch, our init + its order",
               "torch-own": "PyTorch, its init + its order", "torch-apart": "PyTorch, its init + an order seeded apart"}


def split(out, results=None):
    """Init against order: PyTorch from our init in our order (torch), from our init in its own order
    (torch-init) and its own init in its own order (torch-own), with ours beside them. torch-init and
    torch-own see the same order (one generator seeded by the seed), so they differ in the init draw
    alone; torch-init and torch share the init and differ in the order alone (ours and torch-init too,
    and the engine, which the paired table shows adds nothing). Each arm over the seeds where it
    finished: mean and sd; each comparison over the seeds both arms finished: the sd ratio with its F
    interval, F and Levene tests, and the correlation over seeds (how much of the outcome a shared
    draw fixes)."""
    cfg = json.load(open(os.path.join(out, "config.json")))
    meta = json.load(open(os.path.join(cfg["data"], "meta.json")))
    res = {}
    for name in os.listdir(out):
        if name.startswith("seed") and name[4:].isdigit():
            r = {a: side(os.path.join(out, name, a), meta) for a in SPLIT_ARMS}
            res[int(name[4:])] = {a: v for a, v in r.items() if v}
    have = lambda *arms: sorted(s_ for s_, r in res.items() if all(a in r for a in arms))
    if len(have("torch-init")) < 3:
        return f"{out} init/order split: fewer than 3 seeds with torch-init\n"
    name = "fashion" if meta["set"].startswith("fashion") else meta["set"]
    lines = [f"#### {meta['set']}, init against order (final epoch; per seed in results/{name}-split.json)", "",
             "| arm | seeds | all heads mean ± sd | head mean sd | head AUC sd |", "|---|---|---|---|---|"]
    summary = {"set": meta["set"], "arms": SPLIT_LABEL, "per_seed": {s_: {a: {m: r[a][m][-1] for m in METRICS} for a in r} for s_, r in res.items()}}
    for a in SPLIT_ARMS:
        ss = have(a)
        if len(ss) < 2:
            continue
        v = {m: np.array([res[k][a][m][-1] for k in ss]) for m in METRICS}
        summary[a] = {"seeds": ss, **{m: {"mean": float(v[m].mean()), "sd": float(v[m].std(ddof=1))} for m in METRICS}}
        lines.append(f"| {SPLIT_LABEL[a]} (`{a}`) | {len(ss)} | {v['all_heads'].mean():.3f} ± {v['all_heads'].std(ddof=1):.3f} |"
                     f" {v['head_mean'].std(ddof=1):.3f} | {v['auc'].std(ddof=1):.4f} |")
    lines.append("")
    for a, b, what in (("torch-init", "torch-own", "init alone (same order, same engine)"),
                       ("ours", "torch-init", "order alone (same init; engines differ, see the paired table)"),
                       ("torch", "torch-init", "order alone (same init, same engine)"),
                       ("torch", "torch-own", "init and order (same engine)"),
                       ("torch-apart", "torch-own", "init and order coupled or not (same init, same engine)")):
        ss = have(a, b)
        if len(ss) < 3:
            continue
        parts = []
        for m in METRICS:
            x, y = (np.array([res[k][arm][m][-1] for k in ss]) for arm in (a, b))
            st = stats_of(x, y, False)
            r_ = float(np.corrcoef(x, y)[0, 1])
            summary.setdefault("compare", {}).setdefault(f"{a}/{b}", {"seeds": ss})[m] = {
                **{k: st[k] for k in ("sd_ratio", "sd_ratio_ci90", "levene_p", "f_p")}, "corr": r_}
            label = {"all_heads": "all heads", "head_mean": "head mean", "auc": "AUC"}[m]
            parts.append(f"{label} {st['sd_ratio']:.2f} [{st['sd_ratio_ci90'][0]:.2f}, {st['sd_ratio_ci90'][1]:.2f}]"
                         f" (Levene p = {st['levene_p']:.2f}, F p = {st['f_p']:.2f}; r = {r_:+.2f})")
        lines.append(f"- {what}, {a} / {b} over {len(ss)} seeds, sd ratio with 90 % CI: " + "; ".join(parts) + ".")
    if results:
        json.dump(summary, open(os.path.join(results, f"{name}-split.json"), "w"), indent=1)
    text = "\n".join(lines) + "\n"
    open(os.path.join(out, "report-split.md"), "w").write(text)
    return text


def precision(fp32_out, low_out, results=None):
    """bf16 against fp32 per arm, paired by seed: OUT folders of one data set run in each precision
    (`run --precision`), whose seeds share the init and the order (ours draws both from the seed;
    torch reads ours'). Per seed and arm (ours, torch) the final all-heads accuracy in each precision
    and the difference bf16 − fp32 with its test-sampling sd; per arm the mean difference with a
    paired-t 90 % CI, and ours' difference minus torch's (does our bf16 lose more than PyTorch's
    autocast?), for all three metrics. RESULTS/<set>-<low>-vs-fp32.json with --results."""
    from scipy import stats
    cfgs = [json.load(open(os.path.join(o, "config.json"))) for o in (fp32_out, low_out)]
    if cfgs[0].get("precision", "fp32") != "fp32" or cfgs[1].get("precision", "fp32") == "fp32":
        raise SystemExit(f"precision: {fp32_out} must hold fp32 runs and {low_out} low-precision ones")
    low = cfgs[1]["precision"]
    meta = json.load(open(os.path.join(cfgs[1]["data"], "meta.json")))
    arms = ("ours", "torch")
    res = {}
    for name in os.listdir(low_out):
        if name.startswith("seed") and name[4:].isdigit():
            r = {(arm, pr): side(os.path.join(o, name, arm), meta) for arm in arms for pr, o in (("fp32", fp32_out), (low, low_out))}
            if all(r.values()):
                res[int(name[4:])] = r
    if len(res) < 2:
        return f"{low_out} against {fp32_out}: fewer than 2 seeds with all four runs\n"
    set_name = "fashion" if meta["set"].startswith("fashion") else meta["set"]
    lines = [f"#### {meta['set']}, {low} against fp32, paired by seed ({len(res)} seeds, same init and order in both precisions; "
             f"{len(meta['train'])} train / {len(meta['test'])} test at {meta['size'][0]}x{meta['size'][1]}, {cfgs[1]['epochs']} epochs)", "",
             "Final test accuracy, all heads right. ours: precision " + low + "; PyTorch: autocast " + low + ". Test-noise sd: the sd of the",
             "difference that drawing the test images alone gives.", "",
             f"| seed | mlc-pipe fp32 | mlc-pipe {low} | difference | test-noise sd | PyTorch fp32 | PyTorch {low} | difference | test-noise sd |",
             "|---|---|---|---|---|---|---|---|---|"]
    summary = {"set": meta["set"], "precision": low, "seeds": sorted(res), "per_seed": {}}
    for s_, r in sorted(res.items()):
        cells = []
        for arm in arms:
            a, b = r[(arm, "fp32")], r[(arm, low)]
            dd = b["right"].astype(float) - a["right"].astype(float)
            cells.append(f"{a['all_heads'][-1]:.3f} | {b['all_heads'][-1]:.3f} | {dd.mean():+.3f} | {dd.std() / np.sqrt(len(dd)):.3f}")
            summary["per_seed"].setdefault(s_, {})[arm] = {pr: {m: r[(arm, pr)][m][-1] for m in METRICS + ("loss",)} for pr in ("fp32", low)}
        lines.append(f"| {s_} | " + " | ".join(cells) + " |")
    lines.append("")

    def ci(d):
        half = stats.t.ppf(0.95, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        return [float(d.mean() - half), float(d.mean() + half)]

    for m in METRICS:
        label = {"all_heads": "all heads", "head_mean": "head mean", "auc": "head AUC"}[m]
        d = {arm: np.array([r[(arm, low)][m][-1] - r[(arm, "fp32")][m][-1] for r in res.values()]) for arm in arms}
        dd = d["ours"] - d["torch"]
        summary[m] = {arm: {"mean_diff": float(d[arm].mean()), "diff_sd": float(d[arm].std(ddof=1)), "ci90": ci(d[arm]),
                            "lower_in": int((d[arm] < 0).sum())} for arm in arms}
        summary[m]["ours_minus_torch"] = {"mean": float(dd.mean()), "sd": float(dd.std(ddof=1)), "ci90": ci(dd)}
        parts = [f"{'mlc-pipe' if arm == 'ours' else 'PyTorch'} {d[arm].mean() * 100:+.1f} points, 90 % CI [{ci(d[arm])[0] * 100:+.1f}, {ci(d[arm])[1] * 100:+.1f}]"
                 f" (lower in {int((d[arm] < 0).sum())} of {len(d[arm])} seeds)" for arm in arms]
        lines.append(f"- {label}, {low} − fp32: " + "; ".join(parts) + f"; mlc-pipe's difference minus PyTorch's {dd.mean() * 100:+.1f} points,"
                     f" 90 % CI [{ci(dd)[0] * 100:+.1f}, {ci(dd)[1] * 100:+.1f}].")
    loss = lambda arm, pr: " / ".join(f"{v:.3f}" for v in np.mean([r[(arm, pr)]["loss"] for r in res.values()], 0))
    lines += ["", "Training loss per epoch, mean over seeds: " + "; ".join(f"{'mlc-pipe' if arm == 'ours' else 'PyTorch'} {pr} {loss(arm, pr)}"
                                                                          for arm in arms for pr in ("fp32", low)) + "."]
    if results:
        json.dump(summary, open(os.path.join(results, f"{set_name}-{low}-vs-fp32.json"), "w"), indent=1)
    text = "\n".join(lines) + "\n"
    open(os.path.join(low_out, f"report-{low}-vs-fp32.md"), "w").write(text)
    return text


if __name__ == "__main__":
    if sys.argv[1] == "run":
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument("cmd"), ap.add_argument("paths", nargs="+", help="DATA OUT [DATA OUT ...]")
        ap.add_argument("--seeds", default="0-9"), ap.add_argument("--epochs", type=int, default=5)
        ap.add_argument("--curve-n", type=int), ap.add_argument("--arms", default="ours,torch,torch-own")
        ap.add_argument("--jobs", default="1", help="a number, or a file holding it (read before each arm starts)")
        ap.add_argument("--paired-first", action="store_true")
        ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="both sides: ours --precision, PyTorch autocast")
        a = ap.parse_args()
        pairs = list(zip(a.paths[::2], a.paths[1::2]))
        run(pairs, seeds(a.seeds), a.epochs, a.curve_n, a.arms.split(","), int(a.jobs) if a.jobs.isdigit() else a.jobs, a.paired_first, a.precision)
        for _, out in pairs:
            print(report(out, "paired") + report(out, "unpaired") + split(out))
    elif sys.argv[1] == "precision":  # precision FP32OUT LOWOUT [--results DIR]
        args = sys.argv[2:]
        results = args[args.index("--results") + 1] if "--results" in args else None
        o = [x for x in args if x not in ("--results", results)]
        print(precision(o[0], o[1], results))
    else:  # report OUT [OUT ...] [--results DIR] [--seeds SPEC: those seeds alone, printed, no file written]
        args = sys.argv[2:]
        results = args[args.index("--results") + 1] if "--results" in args else None
        only = set(seeds(args[args.index("--seeds") + 1])) if "--seeds" in args else None
        for o in [x for x in args if x not in ("--results", results, "--seeds") and not (only is not None and x == args[args.index("--seeds") + 1])]:
            if only is not None:
                print(report(o, "paired", only=only) + "\n" + report(o, "unpaired", only=only))
            else:
                print(report(o, "paired", results) + "\n" + report(o, "unpaired", results) + "\n" + split(o, results))
