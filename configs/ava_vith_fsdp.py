# ViT-H on AVA v2.2 sharded with FSDP (the recipe of ava_vith.py), for the
# 16x256x455 input that fills a GPU under DDP: the backbone in bf16, the
# RoI extractor and head in fp32 (as under --amp).
_base_ = ['ava_vith.py', '_base_/fsdp.py']
