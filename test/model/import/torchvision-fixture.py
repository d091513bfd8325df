"""Writes the torchvision side of test/model/import/*.test.ts (needs Debian's python3-torchvision).

usage: torchvision-fixture.py DIR ARCH CLASSES H W
Reads DIR/x.bin (float32 N×H×W×3, already normalised), builds torchvision's ARCH with seeded
random weights (weights=None) and random BN running statistics, its classifier sized CLASSES, and
writes DIR/model.pth (torch.save(state_dict)), DIR/model.safetensors (written by hand: u64 header
length, JSON header, raw little-endian bytes), DIR/y_eval.bin and DIR/y_train.bin (logits in eval
mode and in train mode, i.e. with batch statistics), DIR/running.json (the first BN's running statistics
after that train-mode forward: momentum 0.1, unbiased batch variance).
"""
import json, struct, sys
import numpy as np, torch, torchvision

d, arch, classes, h, w = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.manual_seed(7)
kwargs = {'dropout': 0.0} if arch == 'mobilenet_v2' else {}
model = getattr(torchvision.models, arch)(weights=None, num_classes=classes, **kwargs)
g = torch.Generator().manual_seed(8)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.num_batches_tracked.fill_(3)
sd = model.state_dict()
torch.save(sd, d + '/model.pth')

header, blobs, off = {}, [], 0
for k, t in sd.items():
    a = t.detach().contiguous().numpy()
    dtype = {np.float32: 'F32', np.int64: 'I64'}[a.dtype.type]
    b = a.astype(a.dtype.newbyteorder('<')).tobytes()
    header[k] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
header['__metadata__'] = {'format': 'pt'}
hj = json.dumps(header).encode()
hj += b' ' * (-len(hj) % 8)
with open(d + '/model.safetensors', 'wb') as f:
    f.write(struct.pack('<Q', len(hj))); f.write(hj); f.write(b''.join(blobs))

x = np.fromfile(d + '/x.bin', dtype=np.float32).reshape(-1, h, w, 3).transpose(0, 3, 1, 2).copy()
x = torch.from_numpy(x)
with torch.no_grad():
    model.eval(); model(x).numpy().astype('<f4').tofile(d + '/y_eval.bin')
    model.train(); model(x).numpy().astype('<f4').tofile(d + '/y_train.bin')
bn = model.bn1 if hasattr(model, 'bn1') else model.features[0][1]
json.dump({'running_mean': bn.running_mean.tolist(), 'running_var': bn.running_var.tolist()}, open(d + '/running.json', 'w'))
