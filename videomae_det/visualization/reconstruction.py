"""Original / masked / reconstructed clips, as in the paper's figure.

Goes through :meth:`VideoMAEPretrainer.reconstruct` and
:func:`~videomae_det.models.pretrainer.patchify`, so the picture shows the
same cube layout the loss uses.
"""
from typing import Dict, Sequence

import torch
from torch import Tensor

from ..models.pretrainer import denormalise_cubes, patchify, unpatchify


@torch.no_grad()
def reconstruction_views(model, inputs: Tensor, mask: Tensor
                         ) -> Dict[str, Tensor]:
    """Clips in [0, 1] for display.

    Args:
        model: A :class:`VideoMAEPretrainer`.
        inputs: ``(B, C, T, H, W)``, normalised by its data preprocessor.
        mask: ``(B, N)`` bool, True = hidden.

    Returns:
        dict: ``original``, ``masked`` (hidden cubes grey) and
        ``reconstruction`` (visible cubes kept, hidden cubes predicted),
        each ``(B, C, T, H, W)``; and the reconstruction ``loss``.
    """
    tubelet, patch = model.tubelet, model.patch
    grid = model.backbone.patch_embed.grid(inputs.shape)
    cubes = patchify(model.pixels01(inputs.float()), tubelet, patch)
    out = model.reconstruct(inputs, mask)
    pred = out['pred'].float().reshape(-1, *cubes.shape[2:])
    if model.norm_target:  # back to pixels with the true cubes' statistics
        pred = denormalise_cubes(pred, cubes[mask])
    masked, recon = cubes.clone(), cubes.clone()
    masked[mask] = 0.5
    recon[mask] = pred
    views = {
        name: unpatchify(c, grid, tubelet, patch).clamp(0, 1)
        for name, c in (('original', cubes), ('masked', masked),
                        ('reconstruction', recon))
    }
    views['loss'] = out['loss']
    return views


def save_reconstruction_figure(rows: Sequence[tuple], path: str,
                               max_frames: int = 8) -> None:
    """Save a grid: one row per ``(title, clip (C, T, H, W))``, frames as
    columns (evenly subsampled to ``max_frames``)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    t = rows[0][1].shape[1]
    cols = torch.linspace(0, t - 1, min(t, max_frames)).round().long()
    fig, axes = plt.subplots(len(rows), len(cols), squeeze=False,
                             figsize=(1.6 * len(cols), 1.7 * len(rows)))
    for r, (title, clip) in enumerate(rows):
        for c, f in enumerate(cols):
            ax = axes[r][c]
            ax.imshow(clip[:, f].permute(1, 2, 0).cpu().numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(title, fontsize=8)
            if r == 0:
                ax.set_title(f'frame {int(f)}', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
