# The toy detector with token dropout: 70% of the tokens stay after blocks
# 1 and 2 of its 4 (EVAD's schedule scaled to the depth).
_base_ = ['ava_toy_vit-tiny.py']
model = dict(backbone=dict(token_dropout=dict(blocks=(1, 2), keep_rate=0.7)))
