"""Converter between an mlc-pipe model folder (model.json + weights.bin, tfjs layers format, NHWC)
and shared/reference/torch_reference.py's ResNet18 state dict (NCHW), both directions.

  load_mlc(model_dir) -> (heads, state_dict)      our folder -> the reference's state dict
  save_mlc(state_dict, template_dir, out_dir)     the reference's state dict -> our folder
                                                  (template_dir gives model.json: topology, names, order)

Layout mapping (exact, no arithmetic): conv kernel [kh, kw, cin, cout] <-> weight [cout, cin, kh, kw];
dense kernel [in, out] <-> weight [out, in]; BN gamma/beta/moving_mean/moving_variance <->
weight/bias/running_mean/running_var. Both models are ResNet-18 as in the reference; our stem
applies ReLU before the max pool (they commute), and our strided convs and the pool pad k//2 each
side explicitly, as PyTorch does, so the same weights give the same function.
"""
import json, os, sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REF_DIR = os.environ.get("MLC_TORCH_REFERENCE_DIR") or os.path.normpath(os.path.join(HERE, "../../../shared/reference"))
if not os.path.exists(os.path.join(REF_DIR, "torch_reference.py")):
    REF_DIR = "/work/shared/reference"
sys.path.insert(0, REF_DIR)
import torch_reference as R  # noqa: E402


def _read_manifest(model_dir):
    mj = json.load(open(os.path.join(model_dir, "model.json")))
    specs = []
    for group in mj["weightsManifest"]:
        buf = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        off = 0
        for s in group["weights"]:
            if s.get("dtype", "float32") != "float32":
                raise ValueError(f"{model_dir}: weight {s['name']} is {s['dtype']}, the converter reads float32 only")
            n = int(np.prod(s["shape"])) if s["shape"] else 1
            specs.append((s["name"], s["shape"], np.frombuffer(buf, np.float32, n, off).reshape(s["shape"]).copy()))
            off += 4 * n
    return mj, specs


def _pairs(heads_names):
    """(our weight name, reference state-dict key, kind) for every tensor of ResNet18."""
    out = []

    def conv_bn(ours, ref):
        out.append((f"{ours}_conv/kernel", f"{ref}.0.weight", "conv"))
        for a, b in (("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"), ("moving_variance", "running_var")):
            out.append((f"{ours}_bn/{a}", f"{ref}.1.{b}", "vec"))

    conv_bn("stem", "body.0")
    i = 3
    for s in range(1, 5):
        for b in (1, 2):
            conv_bn(f"s{s}b{b}_a", f"body.{i}.a")
            conv_bn(f"s{s}b{b}_b", f"body.{i}.b")
            if b == 1:
                conv_bn(f"s{s}b{b}_short", f"body.{i}.short")
            i += 1
    for k, name in enumerate(heads_names):
        out.append((f"{name}/kernel", f"heads.{k}.weight", "dense"))
        out.append((f"{name}/bias", f"heads.{k}.bias", "vec"))
    return out


def head_layers(specs):
    """Our head layer names (head<i>_<name>) in head order, and their unit counts."""
    heads = sorted({n.split("/")[0] for n, _, _ in specs if n.startswith("head") and n.endswith("/kernel")}, key=lambda n: int(n[4:].split("_")[0]))
    units = [dict((n, s) for n, s, _ in specs)[h + "/kernel"][1] for h in heads]
    return heads, units


def load_mlc(model_dir):
    """Our model folder -> (head unit counts, the reference ResNet18 state dict)."""
    _, specs = _read_manifest(model_dir)
    W = {n: a for n, _, a in specs}
    heads, units = head_layers(specs)
    sd = {}
    for ours, ref, kind in _pairs(heads):
        if ours not in W:
            raise KeyError(f"{model_dir}: no weight {ours} (is it a resnet18 with width 1?)")
        a = W[ours]
        a = a.transpose(3, 2, 0, 1) if kind == "conv" else a.T if kind == "dense" else a
        sd[ref] = torch.from_numpy(np.ascontiguousarray(a))
    used = {p[0] for p in _pairs(heads)}
    extra = [n for n in W if n not in used]
    if extra:
        raise KeyError(f"{model_dir}: weights the reference has no place for: {extra[:5]}")
    return units, sd


class NarrowResNet18(R.ResNet18):
    """The reference's ResNet18 with stage widths base, 2·base, 4·base, 8·base (ours with
    `width_multiplier`, e.g. 16/32/64/128 at 0.25 as the recipes run it); the reference's forward."""

    def __init__(self, heads, base):
        torch.nn.Module.__init__(self)
        layers, c = [R.conv_bn(3, base, 3, 2), torch.nn.MaxPool2d(3, 2, 1), torch.nn.ReLU()], base
        for f, s in [(base, 1), (2 * base, 2), (4 * base, 2), (8 * base, 2)]:
            layers += [R.Block(c, f, s, True), R.Block(f, f, 1, False)]
            c = f
        self.body = torch.nn.Sequential(*layers)
        self.heads = torch.nn.ModuleList(torch.nn.Linear(c, n) for n in heads)


def reference_model(model_dir):
    """The reference ResNet18 holding our folder's weights (num_batches_tracked left at 0); a
    narrower one (NarrowResNet18) when the folder's stem has fewer than 64 filters."""
    units, sd = load_mlc(model_dir)
    base = sd["body.0.0.weight"].shape[0]
    m = R.ResNet18(units) if base == 64 else NarrowResNet18(units, base)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise KeyError(f"state dict mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return m


def save_mlc(state_dict, template_dir, out_dir):
    """The reference's state dict -> our folder at out_dir (model.json copied from template_dir)."""
    mj, specs = _read_manifest(template_dir)
    heads, _ = head_layers(specs)
    by_ours = {o: (r, k) for o, r, k in _pairs(heads)}
    os.makedirs(out_dir, exist_ok=True)
    chunks = []
    for name, shape, _ in specs:
        ref, kind = by_ours[name]
        a = state_dict[ref].detach().cpu().numpy().astype(np.float32)
        a = a.transpose(2, 3, 1, 0) if kind == "conv" else a.T if kind == "dense" else a
        if list(a.shape) != list(shape):
            raise ValueError(f"{ref} has shape {list(a.shape)} after conversion, {name} needs {shape}")
        chunks.append(np.ascontiguousarray(a).tobytes())
    mj["weightsManifest"] = [{"paths": ["weights.bin"], "weights": [{"name": n, "shape": s, "dtype": "float32"} for n, s, _ in specs]}]
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        f.write(b"".join(chunks))
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(mj, f)


def read_batches(d):
    """paired-steps.ts's DIR: (labels.json as a dict, every batch as one NCHW float32 tensor, the labels as int64)."""
    meta = json.load(open(os.path.join(d, "labels.json")))
    h, w = meta["size"]
    n = meta["steps"] * meta["batch"]
    xs = np.fromfile(os.path.join(d, "batches.bin"), np.float32).reshape(n, h, w, 3).transpose(0, 3, 1, 2)
    return meta, torch.from_numpy(np.ascontiguousarray(xs)), torch.tensor(meta["labels"], dtype=torch.int64)
