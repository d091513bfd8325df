"""The PyTorch side of the paired step-by-step comparison (see paired-steps.ts, which writes DIR).

  /usr/bin/python3 bench/quality/torch_steps.py DIR [--eps-form torch|keras] [--ranks N [--sync-bn]]

Loads DIR/init through torch_convert.py, checks the logits on batch 0 (eval and train mode), trains
the same batches with torch.optim.Adam and the reference's loss_fn, and prints JSON: the losses of
both sides per step, their relative differences, and the largest relative weight difference after
the last step (against DIR/final, converted), the moving variances' largest relative difference,
the trained models' eval-mode logits on batch 0, and whether init/ survives a round trip through the
reference's state dict byte for byte.

With --ranks N (paired-steps.ts written with the same ranks) PyTorch trains with
DistributedDataParallel on gloo, N processes of 1 thread on loopback, each on its shard rows of
every global batch; the losses are the global batch's (all-reduced) and the weights rank 0's.
"""
import json, os, sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_convert as C  # noqa: E402


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def train(model, xs, ys, meta, rank=0, world=1):
    """Adam steps on every batch; with world > 1 `model` is a DDP module and this process one rank of
    it, taking rows [floor(r*b/N), floor((r+1)*b/N)) of each global batch (as ours, shard.ts). Returns
    the global batch's loss per step."""
    b, heads = meta["batch"], meta["heads"]
    opt = torch.optim.Adam(model.parameters(), meta["lr"], eps=meta.get("epsilon", 1e-8))
    lo, hi = rank * b // world, (rank + 1) * b // world
    losses = []
    for s in range(meta["steps"]):
        g = slice(s * b, (s + 1) * b)
        x, y = xs[g][lo:hi], ys[g][lo:hi]
        opt.zero_grad()
        outs = model(x)
        if world == 1:
            loss = C.R.loss_fn(outs, y, heads)
        else:
            # DDP averages the ranks' gradients. A head's loss is a mean over its known labels (-1 =
            # unknown); weighing rank r's by N * max(1, n_r) / max(1, n) (n_r known here, n in the
            # global batch) makes that average the global batch's mean, as ours (shard.ts,
            # maskedShares). DDP's usual per-rank means would differ where the -1s fall unevenly.
            known = lambda t, i: max(1, int((t[:, i] >= 0).sum()))
            loss = sum(
                C.R.loss_fn([o], y[:, i : i + 1], [n]) * (world * known(y, i) / known(ys[g], i))
                for i, (o, n) in enumerate(zip(outs, heads))
            )
        loss.backward()
        opt.step()
        if world == 1:
            losses.append(float(loss))
        else:
            t = loss.detach().clone() / world
            torch.distributed.all_reduce(t)
            losses.append(float(t))
    return losses


def ddp_rank(rank, world, d, port, sync_bn, out):
    torch.set_num_threads(1)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    meta, xs, ys = C.read_batches(d)
    model = C.reference_model(os.path.join(d, "init"))
    if sync_bn:
        # torch 1.13's SyncBatchNorm refuses CPU tensors in its forward ("expected input tensor to be on GPU").
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    losses = train(ddp, xs, ys, meta, rank, world)
    if rank == 0:
        torch.save({"state_dict": model.state_dict(), "losses": losses}, out)
    torch.distributed.destroy_process_group()
    # torch 1.13 can deadlock tearing down DDP's Reducer at interpreter exit (its ProcessGroupGloo
    # destructor joins a worker thread while another thread waits for the GIL to free a tensor;
    # seen as a rank spinning forever in CI): everything is written, so leave without the teardown.
    os._exit(0)


def train_ddp(d, world, sync_bn):
    """PyTorch DDP on gloo, `world` processes of 1 thread on loopback: rank 0's model and the losses."""
    import socket, tempfile
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "rank0.pt")
        mp.spawn(ddp_rank, args=(world, d, port, sync_bn, out), nprocs=world)
        r = torch.load(out)
    model = C.reference_model(os.path.join(d, "init"))
    model.load_state_dict(r["state_dict"])
    return model, r["losses"]


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
    ranks = int(arg("--ranks", 1))
    if ranks > 1:
        model, losses = train_ddp(d, ranks, "--sync-bn" in sys.argv)
    else:
        losses = train(model, xs, ys, meta)
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
