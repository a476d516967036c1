# The toy classifier with a loss made NaN at the 6th iteration.
_base_ = ['../../configs/cls_toy-motions_vit-tiny_scratch.py']
custom_imports = dict(imports=['videomae_det', 'helpers.nan_loss_hook'],
                      allow_failed_imports=False)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='NonFiniteLossHook', action='stop'),
    dict(type='NanLossAtIterHook', iter=5)
]
