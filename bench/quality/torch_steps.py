"""The PyTorch side of the paired step-by-step comparison (see paired-steps.ts, which writes DIR).

  /usr/bin/python3 bench/quality/torch_steps.py DIR [--eps-form torch|keras]

Loads DIR/init through torch_convert.py, checks the logits on batch 0 (eval and train mode), trains
the same batches with torch.optim.Adam and the reference's loss_fn, and prints JSON: the losses of
both sides per step, their relative differences, and the largest relative weight difference after
the last step (against DIR/final, converted), the moving variances' largest relative difference,
the trained models' eval-mode logits on batch 0, and whether init/ survives a round trip through the
reference's state dict byte for byte.
"""
import json, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def main():
    d = sys.argv[1]
    torch.set_num_threads(1)
    meta, xs, ys = C.read_batches(d)
    b, steps, heads = meta["batch"], meta["steps"], meta["heads"]
    model = C.reference_model(os.path.join(d, "init"))
    ours = json.load(open(os.path.join(d, "logits.json")))
    rel = lambda a, r: float(np.abs(a - r).max() / max(1e-12, np.abs(r).max()))
    out = {}
    with torch.no_grad():
        model.eval()
        ev = model(xs[:b])
        model.train()
        # train-mode forward moves the running statistics: run it on a copy
        import copy
        tr = copy.deepcopy(model)(xs[:b])
    out["logits_eval_rel"] = max(rel(o.numpy().ravel(), np.array(r)) for o, r in zip(ev, ours["eval"]))
    out["logits_train_rel"] = max(rel(o.numpy().ravel(), np.array(r)) for o, r in zip(tr, ours["train"]))
    opt = torch.optim.Adam(model.parameters(), meta["lr"], eps=meta.get("epsilon", 1e-8))
    losses = []
    for s in range(steps):
        idx = slice(s * b, (s + 1) * b)
        opt.zero_grad()
        loss = C.R.loss_fn(model(xs[idx]), ys[idx], heads)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    model.eval()
    with torch.no_grad():
        fe = model(xs[:b])
    model.train()
    out["final_logits_eval_rel"] = max(rel(o.numpy().ravel(), np.array(r)) for o, r in zip(fe, json.load(open(os.path.join(d, "final-logits.json")))))
    ours_losses = json.load(open(os.path.join(d, "ours.json")))["losses"]
    out["torch_losses"] = losses
    out["ours_losses"] = ours_losses
    out["loss_rel"] = [abs(a - t) / abs(t) for a, t in zip(ours_losses, losses)]
    _, final = C.load_mlc(os.path.join(d, "final"))
    sd = model.state_dict()
    worst = {}
    for k, v in final.items():
        r = sd[k].detach().numpy()
        worst[k] = float(np.abs(v.numpy() - r).max() / max(1e-12, np.abs(r).max()))
    top = sorted(worst.items(), key=lambda kv: -kv[1])[:6]
    # Moving variances: the largest relative difference per BN layer (biased vs unbiased shows as n/(n-1)).
    out["running_var_rel_max"] = max(float(np.abs(final[k].numpy() / sd[k].numpy() - 1).max()) for k in final if k.endswith("running_var"))
    # The converter's other direction: the reference's state dict written as our folder is byte-identical.
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        C.save_mlc(C.load_mlc(os.path.join(d, "init"))[1], os.path.join(d, "init"), t)
        out["roundtrip_exact"] = open(os.path.join(t, "weights.bin"), "rb").read() == open(os.path.join(d, "init", "weights.bin"), "rb").read()
    out["weights_rel_max"] = top[0][1]
    out["weights_rel_worst"] = top
    print(json.dumps(out))


if __name__ == "__main__":
    main()
