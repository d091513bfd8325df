"""PyTorch DDP peer of bench/dist/dist.ts: the seed ResNet-18 of shared/reference/torch_reference.py,
Adam, gloo on loopback, N processes x 1 thread, each on its shard of a fixed random global batch.
Prints {"step_ms": <rank 0's median step time>} as JSON.

    /usr/bin/python3 bench/dist/ddp.py --reference ../shared/reference/torch_reference.py --ranks 2
"""
import argparse, json, os, socket, statistics, sys, time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_main(rank, a, port, out):
    sys.path.insert(0, os.path.dirname(os.path.abspath(a.reference)))
    from torch_reference import ResNet18, loss_fn

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=a.ranks)
    torch.manual_seed(0)
    heads = [1] * 20
    model = torch.nn.parallel.DistributedDataParallel(ResNet18(heads))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(a.batch, 3, a.size, a.size, generator=g)
    y = torch.randint(0, 2, (a.batch, 20), generator=g)
    per = a.batch // a.ranks
    xs, ys = x[rank * per:(rank + 1) * per], y[rank * per:(rank + 1) * per]
    times = []
    for i in range(a.warmup + a.steps):
        t = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(xs), ys, heads).backward()
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t) * 1000)
    if rank == 0:
        out.put(statistics.median(times))
        out.close()
        out.join_thread()
    dist.destroy_process_group()
    # torch 1.13 can deadlock tearing down DDP's Reducer at interpreter exit (bench/quality/torch_steps.py)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference", required=True)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    mp.spawn(rank_main, args=(a, free_port(), out), nprocs=a.ranks, join=True)
    print(json.dumps({"step_ms": out.get()}))


if __name__ == "__main__":
    main()
