"""The official VideoMAE / VideoMAE V2 forward, written independently of our
model as plain functions over a state dict in the official layout (bare
keys for the fine-tuned model, ``encoder.*`` / ``decoder.*`` for the
pre-training one), following the released ``modeling_finetune.py`` and
``modeling_pretrain.py``: numpy sinusoid table, explicit softmax attention,
q/v biases with a zero k bias, LayerNorm eps 1e-6, mean pooling + fc_norm.
"""
import numpy as np
import torch
import torch.nn.functional as F


def sinusoid(n: int, d: int) -> torch.Tensor:
    angle = np.array([[p / np.power(10000, 2 * (j // 2) / d)
                       for j in range(d)] for p in range(n)])
    angle[:, 0::2] = np.sin(angle[:, 0::2])
    angle[:, 1::2] = np.cos(angle[:, 1::2])
    return torch.tensor(angle, dtype=torch.float)[None]


def layer_norm(x, sd, key):
    return F.layer_norm(x, x.shape[-1:], sd[key + '.weight'],
                        sd[key + '.bias'], eps=1e-6)


def block(x, sd, p, heads):
    B, N, C = x.shape
    h = layer_norm(x, sd, p + 'norm1')
    bias = None
    if p + 'attn.q_bias' in sd:
        q_bias = sd[p + 'attn.q_bias']
        bias = torch.cat([q_bias, torch.zeros_like(q_bias),
                          sd[p + 'attn.v_bias']])
    qkv = F.linear(h, sd[p + 'attn.qkv.weight'], bias)
    q, k, v = qkv.reshape(B, N, 3, heads, -1).permute(2, 0, 3, 1, 4)
    attn = (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)
    h = (attn.softmax(-1) @ v).transpose(1, 2).reshape(B, N, -1)
    h = F.linear(h, sd[p + 'attn.proj.weight'], sd[p + 'attn.proj.bias'])
    x = x + (sd[p + 'gamma_1'] * h if p + 'gamma_1' in sd else h)
    h = layer_norm(x, sd, p + 'norm2')
    h = F.linear(F.gelu(F.linear(h, sd[p + 'mlp.fc1.weight'],
                                 sd[p + 'mlp.fc1.bias'])),
                 sd[p + 'mlp.fc2.weight'], sd[p + 'mlp.fc2.bias'])
    return x + (sd[p + 'gamma_2'] * h if p + 'gamma_2' in sd else h)


def num_blocks(sd, prefix):
    return len({k.split('.')[len(prefix.split('.')) - 1] for k in sd
                if k.startswith(prefix)})


def encode(sd, x, heads, prefix='', mask=None):
    """Tokens after the blocks ``(B, N_vis, D)``; ``prefix`` is ``''`` or
    ``'encoder.'``; ``mask`` ``(B, N)`` True = hidden."""
    w = sd[prefix + 'patch_embed.proj.weight']
    x = F.conv3d(x, w, sd[prefix + 'patch_embed.proj.bias'],
                 stride=w.shape[2:]).flatten(2).transpose(1, 2)
    x = x + (sd[prefix + 'pos_embed'] if prefix + 'pos_embed' in sd
             else sinusoid(x.shape[1], x.shape[2]))
    B, _, C = x.shape
    if mask is not None:
        x = x[~mask].reshape(B, -1, C)
    for i in range(num_blocks(sd, prefix + 'blocks.')):
        x = block(x, sd, f'{prefix}blocks.{i}.', heads)
    return x


def classify(sd, x, heads):
    """Fine-tuned model: logits ``(B, classes)``."""
    pooled = layer_norm(encode(sd, x, heads).mean(1), sd, 'fc_norm')
    return F.linear(pooled, sd['head.weight'], sd['head.bias'])


def pretrain(sd, x01, mean, std, mask, heads, dec_heads, tubelet, patch):
    """Pre-training model: (prediction of the hidden cubes, loss against
    per-cube normalised targets). ``x01``: ``(B, C, T, H, W)`` in [0, 1];
    the encoder sees ``(x01 - mean) / std``."""
    inp = (x01 - mean.view(1, -1, 1, 1, 1)) / std.view(1, -1, 1, 1, 1)
    vis = layer_norm(encode(sd, inp, heads, 'encoder.', mask), sd,
                     'encoder.norm')
    vis = F.linear(vis, sd['encoder_to_decoder.weight'])
    B, _, D = vis.shape
    pos = sinusoid(mask.shape[1], D).expand(B, -1, -1)
    x = torch.cat([vis + pos[~mask].reshape(B, -1, D),
                   sd['mask_token'] + pos[mask].reshape(B, -1, D)], 1)
    for i in range(num_blocks(sd, 'decoder.blocks.')):
        x = block(x, sd, f'decoder.blocks.{i}.', dec_heads)
    n_hidden = int(mask[0].sum())
    pred = F.linear(layer_norm(x[:, -n_hidden:], sd, 'decoder.norm'),
                    sd['decoder.head.weight'], sd['decoder.head.bias'])
    # official target: cubes (t p p) x C, normalised per cube and channel
    Bx, C, T, H, W = x01.shape
    cubes = x01.reshape(Bx, C, T // tubelet, tubelet, H // patch, patch,
                        W // patch, patch).permute(0, 2, 4, 6, 3, 5, 7, 1)
    cubes = cubes.reshape(Bx, -1, tubelet * patch * patch, C)
    cubes = (cubes - cubes.mean(-2, keepdim=True)) / (
        cubes.var(-2, unbiased=True, keepdim=True).sqrt() + 1e-6)
    target = cubes.flatten(2)[mask].reshape(B, n_hidden, -1)
    return pred, F.mse_loss(pred, target)


def roi_align(feat, box, scale, out=7):
    """torchvision's ``roi_align(aligned=False, sampling_ratio=0)`` for one
    box over ``feat`` ``(C, H, W)``, loop by loop: ``(C, out, out)``."""
    import math
    C, H, W = feat.shape
    x1, y1, x2, y2 = [float(v) * scale for v in box]
    roi_w, roi_h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    bin_w, bin_h = roi_w / out, roi_h / out
    gw, gh = math.ceil(roi_w / out), math.ceil(roi_h / out)

    def sample(y, x):
        if y < -1.0 or y > H or x < -1.0 or x > W:
            return feat.new_zeros(C)
        y, x = max(y, 0.0), max(x, 0.0)
        yl, xl = int(y), int(x)
        if yl >= H - 1:
            yl = yh = H - 1
            y = float(yl)
        else:
            yh = yl + 1
        if xl >= W - 1:
            xl = xh = W - 1
            x = float(xl)
        else:
            xh = xl + 1
        ly, lx = y - yl, x - xl
        hy, hx = 1 - ly, 1 - lx
        return (hy * hx * feat[:, yl, xl] + hy * lx * feat[:, yl, xh] +
                ly * hx * feat[:, yh, xl] + ly * lx * feat[:, yh, xh])

    pooled = feat.new_zeros(C, out, out)
    for ph in range(out):
        for pw in range(out):
            acc = feat.new_zeros(C)
            for iy in range(gh):
                for ix in range(gw):
                    acc += sample(y1 + ph * bin_h + (iy + 0.5) * bin_h / gh,
                                  x1 + pw * bin_w + (ix + 0.5) * bin_w / gw)
            pooled[:, ph, pw] = acc / (gh * gw)
    return pooled


def ava_detect(sd, clip, boxes, det_scores, heads, nominal=(8, 14, 14)):
    """The paper's AVA detector at test (MCG-NJU/VideoMAE-Action-Detection):
    ``clip`` uint8 RGB ``(3, T, H, W)`` at short side 256, ``boxes``
    ``(K, 4)`` pixels, ``det_scores`` ``(K,)``; returns ``(K, 80)`` final
    scores. AlphAction's normalisation, zero padding to 16 after it, the
    sinusoid table resized per frame (bicubic), final norm, time average,
    boxes grown 10 % / 5 % (+1 widths) and clamped, RoIAlign 7x7 at 1/16,
    max pool, linear, sigmoid times the detector score."""
    mean = torch.tensor([122.7717, 115.9465, 102.9801])[:, None, None, None]
    x = (clip.float() - mean) / 57.375
    _, T, H, W = x.shape
    x = F.pad(x, (0, -W % 16, 0, -H % 16))[None]
    w = sd['patch_embed.proj.weight']
    x = F.conv3d(x, w, sd['patch_embed.proj.bias'], stride=w.shape[2:])
    t, h, wd = x.shape[2:]
    x = x.flatten(2).transpose(1, 2)
    C = x.shape[-1]
    table = sinusoid(nominal[0] * nominal[1] * nominal[2], C).reshape(
        nominal[0], nominal[1], nominal[2], C).permute(0, 3, 1, 2)
    table = F.interpolate(table, size=(h, wd), mode='bicubic',
                          align_corners=False)
    x = x + table.permute(0, 2, 3, 1).reshape(1, -1, C)
    for i in range(num_blocks(sd, 'blocks.')):
        x = block(x, sd, f'blocks.{i}.', heads)
    x = layer_norm(x, sd, 'norm')
    feat = x.transpose(1, 2).reshape(C, t, h, wd).mean(1)
    out = []
    for box, score in zip(boxes.tolist(), det_scores.tolist()):
        bw, bh = box[2] - box[0] + 1, box[3] - box[1] + 1
        grown = [min(max(box[0] - 0.05 * bw, 0), W - 1),
                 min(max(box[1] - 0.025 * bh, 0), H - 1),
                 min(max(box[2] + 0.05 * bw, 0), W - 1),
                 min(max(box[3] + 0.025 * bh, 0), H - 1)]
        pooled = roi_align(feat, grown, 1 / 16).amax((1, 2))
        logit = F.linear(pooled, sd['head.weight'], sd['head.bias'])
        out.append(logit.sigmoid() * score)
    return torch.stack(out)
