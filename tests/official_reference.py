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
