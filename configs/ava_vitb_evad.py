# ViT-B with EVAD's keyframe-centric token dropout (Chen et al., ICCV 2023:
# 32.1 -> 32.3 mAP at 425 -> 243 backbone GFLOPs): after blocks 3, 6 and 9
# (0-based, EVAD's KEEP_RATES positions) 70% of the tokens stay, the
# keyframe's always; no new parameters, any ViT-B checkpoint loads.
# EVAD's other setting: keep_rate=0.6, enhanced_weight=4.
_base_ = ['ava_vitb.py']
model = dict(backbone=dict(token_dropout=dict(
    blocks=(3, 6, 9), keep_rate=0.7, enhanced_weight=1.)))
