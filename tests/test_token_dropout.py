"""Keyframe-centric token dropout (EVAD) on the VideoMAE backbone: the
kept tokens are the keyframe's plus the most attended (checked against the
attention computed by hand), every token lands at its place, keep rate 1
is the plain backbone, and it trains under bf16 and checkpointing."""
import math

import pytest
import torch
import torch.nn.functional as F

import videomae_det  # noqa: F401
from videomae_det.models.backbones.videomae import VideoMAE

TINY = dict(arch=dict(embed_dims=32, num_layers=3, num_heads=2),
            img_size=32, num_frames=4, patch_size=8, out_type='featmap')


def tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = VideoMAE(**TINY, **kwargs).eval()
    with torch.no_grad():  # non-trivial biases and norms
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model


def attention_by_hand(blk, x):
    """Block ``blk``'s softmax weights ``(B, heads, N, N)`` on ``x``."""
    a, heads = blk.attn, blk.attn.num_heads
    h = blk.norm1(x)
    B, N, D = h.shape
    q = h @ a.qkv.weight[:D].T + a.q_bias
    k = h @ a.qkv.weight[D:2 * D].T
    q, k = (t.reshape(B, N, heads, -1).transpose(1, 2) for t in (q, k))
    return (q @ k.transpose(-2, -1) / math.sqrt(D // heads)).softmax(-1)


@pytest.mark.parametrize('rate,weight', [(0.7, 1.), (0.6, 4.)])
def test_kept_tokens_and_reassembly_match_a_direct_computation(rate,
                                                               weight):
    """Drop at block 0 only; the reference is written out step by step."""
    model = tiny(token_dropout=dict(blocks=(0, ), keep_rate=rate,
                                    enhanced_weight=weight))
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        out = model(x)
        tokens = model.patch_embed(x) + model.position_embedding((2, 4, 4))
        N = tokens.shape[1]  # 2 x 4 x 4 = 32; the keyframe: t = 1
        key = torch.zeros(N, dtype=torch.bool)
        key[16:] = True
        blk = model.blocks[0]
        attn = attention_by_hand(blk, tokens)
        w = torch.where(key, weight, 1.)
        score = (attn * w[None, None, :, None]).mean(2).mean(1)  # (B, N)
        count = math.ceil(rate * N) - 16
        state = tokens + blk.attn(blk.norm1(tokens))
        expected = torch.empty_like(state)
        for b in range(2):
            others = torch.nonzero(~key).flatten()
            top = others[score[b, others].argsort(descending=True)[:count]]
            kept = torch.cat([top, torch.nonzero(key).flatten()]).sort()[0]
            assert len(kept) == math.ceil(rate * N)
            y = state[b:b + 1, kept]
            y = y + blk.mlp(blk.norm2(y))
            for later in model.blocks[1:]:
                y = later(y)
            expected[b] = state[b]  # dropped: their state when dropped
            expected[b, kept] = y[0]
        expected = model.norm(expected).transpose(1, 2).reshape(
            2, 32, 2, 4, 4)
    torch.testing.assert_close(out, expected, rtol=0, atol=2e-5)


def test_keep_rate_1_is_the_plain_backbone_and_rates_compose():
    x = torch.randn(1, 3, 4, 32, 32)
    plain = tiny()
    same = tiny(token_dropout=dict(blocks=(0, 1, 2), keep_rate=1.0))
    with torch.no_grad():
        assert torch.equal(plain(x), same(x))
    # 32 tokens -> 23 -> 17 (ceil of 0.7 each time), 16 keyframe tokens
    drop = tiny(token_dropout=dict(blocks=(0, 1), keep_rate=0.7))
    seen = []
    for blk in drop.blocks:
        blk.register_forward_hook(lambda m, i, o: seen.append(
            (o[0] if isinstance(o, tuple) else o).shape[1]))
    with torch.no_grad():
        drop(x)
    assert seen == [23, 17, 17]
    # never fewer tokens than the keyframe has
    few = tiny(token_dropout=dict(blocks=(0, ), keep_rate=0.1))
    seen.clear()
    few.blocks[0].register_forward_hook(lambda m, i, o: seen.append(
        o[0].shape[1]))
    with torch.no_grad():
        few(x)
    assert seen == [16]
    with pytest.raises(ValueError, match='keep_rate'):
        tiny(token_dropout=dict(blocks=(0, ), keep_rate=0))


def test_trains_under_checkpointing_and_bf16():
    """Same loss and gradients with and without activation checkpointing;
    under bf16 autocast it runs and stays close to float32."""
    x = torch.randn(2, 3, 4, 32, 32)
    drop = dict(blocks=(0, 1), keep_rate=0.7)
    grads = []
    for with_cp in (False, True):
        model = tiny(token_dropout=drop, with_cp=with_cp).train()
        loss = model(x).square().mean()
        loss.backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    model = tiny(token_dropout=drop).eval()
    with torch.no_grad():
        full = model(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = model(x)
    assert low.dtype == torch.bfloat16
    assert F.cosine_similarity(low.float().flatten(), full.flatten(),
                               dim=0) > 0.99
    # pre-training (a mask) sees every visible token: no dropout there
    tokens = VideoMAE(**dict(TINY, out_type='tokens'),
                      token_dropout=drop).eval()
    mask = torch.zeros(1, 32, dtype=torch.bool)
    mask[:, :8] = True
    with torch.no_grad():
        assert tokens(x[:1], mask).shape == (1, 24, 32)
