# ViT-L with EVAD's token dropout (EVAD: 39.7 mAP at 737 GFLOPs, K700
# pre-training): 70% of the tokens stay after blocks 6, 12 and 18 (0-based).
_base_ = ['ava_vitl.py']
model = dict(backbone=dict(token_dropout=dict(
    blocks=(6, 12, 18), keep_rate=0.7, enhanced_weight=1.)))
