# The toy pre-training sharded with FSDP on CPU ranks (gloo), fp32 so that
# it trains exactly as under DDP (tests/test_fsdp.py checks losses, weights
# and optimizer groups against configs/pretrain_toy_clips.py):
#   tools/dist_train.sh configs/pretrain_toy_clips_fsdp.py 2
_base_ = ['pretrain_toy_clips.py', '_base_/fsdp.py']
model = dict(backbone=dict(with_cp=True))  # activation checkpointing
strategy = dict(model_wrapper=dict(mixed_precision=None))
# clipped by the global norm over every rank's shards
optim_wrapper = dict(clip_grad=dict(max_norm=0.02))
