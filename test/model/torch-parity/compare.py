"""Torch parity check, step 2: see export.ts."""
import json, sys, os
import numpy as np, torch
D = sys.argv[1] if len(sys.argv) > 1 else '/tmp/mlc-parity'
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '../../../../shared/reference'))
import torch_reference as R
mj = json.load(open(D + '/model/model.json'))
buf = np.fromfile(D + '/model/weights.bin', dtype=np.float32)
W, off = {}, 0
for s in mj['weightsManifest'][0]['weights']:
    n = int(np.prod(s['shape'])); W[s['name']] = buf[off:off+n].reshape(s['shape']); off += n
model = R.ResNet18([10, 1]).eval()
def conv_bn(seq, name):
    seq[0].weight.data = torch.from_numpy(W[name + '_conv/kernel'].transpose(3, 2, 0, 1).copy())
    bn = seq[1]
    bn.weight.data = torch.from_numpy(W[name + '_bn/gamma'].copy()); bn.bias.data = torch.from_numpy(W[name + '_bn/beta'].copy())
    bn.running_mean.data = torch.from_numpy(W[name + '_bn/moving_mean'].copy()); bn.running_var.data = torch.from_numpy(W[name + '_bn/moving_variance'].copy())
conv_bn(model.body[0], 'stem')
i = 3
for s in range(1, 5):
    for b in (1, 2):
        blk = model.body[i]; i += 1
        conv_bn(blk.a, f's{s}b{b}_a'); conv_bn(blk.b, f's{s}b{b}_b')
        if b == 1: conv_bn(blk.short, f's{s}b{b}_short')
for k, name in enumerate(['head0_d', 'head1_inv']):
    model.heads[k].weight.data = torch.from_numpy(W[name + '/kernel'].T.copy()); model.heads[k].bias.data = torch.from_numpy(W[name + '/bias'].copy())
x = np.fromfile(D + '/x.bin', dtype=np.float32).reshape(2, 48, 144, 3).transpose(0, 3, 1, 2)
with torch.no_grad():
    outs = model(torch.from_numpy(x.copy()))
ref = json.load(open(D + '/y.json'))
for o, r in zip(outs, ref):
    o = o.numpy().ravel(); r = np.array(r)
    print('max abs diff', float(np.abs(o - r).max()), 'max |logit|', float(np.abs(r).max()))
