"""Linking per-frame detections into scored action tubes.

The online linker of ACT-detector as MOC-Detector's ``BuildTubes`` runs
it, on one-frame detections (K = 1), per video and class:

1. each frame's boxes go through soft-NMS (a box over IoU 0.6 with a
   higher-ranked kept box: score times ``1 - IoU``; +1-pixel IoU) and the
   10 best remain;
2. the open tubes, by mean score, each take the best-scored remaining box
   whose IoU with their last box is at least 0.5; a tube that takes none
   ends (with K = 1 a tube never skips a frame), a box that no tube takes
   starts a new one;
3. a tube scores the mean of its boxes' scores; tubes scoring under
   0.005 or shorter than 15 frames are dropped.

``ucf-jhmdb`` extends tubes by +1-pixel IoU, as MOC; ``multisports`` by
IoU without it, as mmaction2's ``link_tubes`` (whose soft-NMS keeps the
+1). mmaction2's version gives every box the score of the last row of the
whole detection array (a loop variable read after its loop); here every
box keeps its own score.

Everything runs in the detections' dtype (MOC's are float32; mmaction2
gathers them in float64) with the official arithmetic and numpy's
``argsort`` on the same arrays, so tubes, scores and their order equal the
official ones, ties included. The official loop visits every frame of
every class; here only the (video, class, frame) groups that have
detections are visited, all videos and classes at once: soft-NMS batched
by group size, then one linking step per frame position with every chain
of groups in lockstep (:class:`_Linker`).
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .frame_ap import PROTOCOLS, iou_matrix

SOFT_NMS_IOU = 0.6
KEEP_PER_FRAME = 10
EXTEND_IOU = 0.5
MIN_TUBE_SCORE = 0.005
MIN_TUBE_FRAMES = 15


def soft_nms(boxes: np.ndarray, overlap: float = SOFT_NMS_IOU,
             keep: int = KEEP_PER_FRAME) -> np.ndarray:
    """``(G, n, 5)`` groups of ``[x1, y1, x2, y2, score]`` rows, each
    re-scored by ACT's soft-NMS and sorted best first, at most ``keep``:
    ``(G, min(n, keep), 5)``.

    The pivots are the boxes not yet removed, by descending score; a box
    meets the first pivot whose IoU with it is not at most ``overlap``
    (over it: score times ``1 - IoU``) and leaves the order there."""
    G, n = boxes.shape[:2]
    one = boxes.dtype.type(1)
    x1, y1, x2, y2, scores = np.moveaxis(boxes, -1, 0)
    area = (x2 - x1 + one) * (y2 - y1 + one)
    # min(x2) - max(x1) + 1: the soft-NMS's own order of operations
    w = np.maximum(0, np.minimum(x2[:, :, None], x2[:, None]) -
                   np.maximum(x1[:, :, None], x1[:, None]) + one)
    h = np.maximum(0, np.minimum(y2[:, :, None], y2[:, None]) -
                   np.maximum(y1[:, :, None], y1[:, None]) + one)
    inter = w * h
    iou = inter / (area[:, None, :] + area[:, :, None] - inter)
    rows = np.arange(G)
    order = np.argsort(scores, axis=1)[:, ::-1]
    # by rank: pair[g, q, p] = IoU of the q-th and p-th best boxes
    pair = iou[rows[:, None, None], order[:, :, None], order[:, None, :]]
    alive = np.ones((G, n), bool)
    weight = np.ones((G, n), scores.dtype)
    for p in range(1, n):
        col = pair[:, :p, p]
        met = alive[:, :p] & ~(col <= overlap)
        hit = met.any(1)
        first = col[rows, met.argmax(1)]
        alive[:, p] = ~hit
        over = hit & (first > overlap)
        weight[over, p] = 1 - first[over]
    rescored = np.empty_like(scores)
    rescored[rows[:, None], order] = scores[rows[:, None], order] * weight
    best = np.argsort(rescored, axis=1)[:, ::-1][:, :keep]
    out = boxes[rows[:, None], best]
    out[..., 4] = rescored[rows[:, None], best]
    return out


class _Linker:
    """Every (video, class) chain of frame groups linked in lockstep: step
    ``s`` takes the ``s``-th group of each chain. Per chain, ``cur`` holds
    its open tubes in the official list order; a tube is an id into the
    ``t_*`` arrays, its scores a row of ``hist`` (rows are reused)."""

    def __init__(self, kept: np.ndarray, chains: int, plus_one: bool):
        self.kept, self.plus_one = kept, plus_one
        self.cur = np.full((chains, KEEP_PER_FRAME), -1, np.int64)
        self.cur_n = np.zeros(chains, np.int64)
        self.last = np.zeros(chains, np.int64)
        m = len(kept)  # a tube starts at a box: at most one per box
        self.t_len = np.zeros(m, np.int64)
        self.t_row = np.zeros(m, np.int64)
        self.t_last = np.zeros(m, np.int64)
        self.box_tube = np.full(m, -1, np.int64)
        self.tubes = 0
        self.hist = np.zeros((64, 16), kept.dtype)
        self.free = list(range(63, -1, -1))
        self.done: List[Tuple[np.ndarray, ...]] = []  # (tube, chain, key)
        self.step_no = 0

    # -- tube scores -----------------------------------------------------
    def _means(self, tubes: np.ndarray) -> np.ndarray:
        """np.mean of each tube's scores, by length (the same reduction
        as the official one-dimensional call)."""
        lengths, rows = self.t_len[tubes], self.t_row[tubes]
        out = np.empty(len(tubes), self.hist.dtype)
        for n in np.unique(lengths):
            sel = lengths == n
            out[sel] = np.mean(self.hist[rows[sel], :n], axis=1)
        return out

    def _sort(self, chains: np.ndarray) -> None:
        """The official re-sort of open tubes by descending mean score."""
        m = self.cur_n[chains]
        chains, m = chains[m >= 2], m[m >= 2]
        if not len(chains):
            return
        width = int(m.max())
        tubes = self.cur[chains, :width]
        means = np.zeros(tubes.shape, self.hist.dtype)
        valid = np.arange(width) < m[:, None]
        means[valid] = self._means(tubes[valid])
        for n in np.unique(m):
            sel = np.flatnonzero(m == n)
            perm = np.argsort(-means[sel, :n], axis=1)
            self.cur[chains[sel], :n] = np.take_along_axis(
                tubes[sel, :n], perm, 1)

    # -- tube bookkeeping -------------------------------------------------
    def _rows(self, n: int) -> np.ndarray:
        while len(self.free) < n:
            old = len(self.hist)
            self.hist = np.concatenate([self.hist, np.zeros_like(self.hist)])
            self.free[:0] = range(2 * old - 1, old - 1, -1)
        rows = self.free[len(self.free) - n:]
        del self.free[len(self.free) - n:]
        return np.array(rows[::-1], np.int64)

    def _start(self, boxes: np.ndarray) -> np.ndarray:
        """New tubes, one per kept-box index, in the given order."""
        ids = np.arange(self.tubes, self.tubes + len(boxes))
        self.tubes += len(boxes)
        self.t_len[ids], self.t_last[ids] = 1, boxes
        self.t_row[ids] = rows = self._rows(len(boxes))
        self.hist[rows, 0] = self.kept[boxes, 4]
        self.box_tube[boxes] = ids
        return ids

    def _extend(self, tubes: np.ndarray, boxes: np.ndarray) -> None:
        if self.t_len[tubes].max(initial=0) >= self.hist.shape[1]:
            self.hist = np.concatenate([self.hist, np.zeros_like(self.hist)],
                                       1)
        self.hist[self.t_row[tubes], self.t_len[tubes]] = self.kept[boxes, 4]
        self.t_len[tubes] += 1
        self.t_last[tubes] = boxes
        self.box_tube[boxes] = tubes

    def _end(self, chains, tubes, valid, phase, reverse) -> None:
        """Close ``tubes[valid]`` (a row per chain, list order); the
        official appends them reversed (``reverse``) or as listed."""
        pos = np.broadcast_to(np.arange(tubes.shape[1]), tubes.shape)
        pos = -pos if reverse else pos
        key = (self.step_no * 4 + phase) * 64 + pos + 32
        chain = np.broadcast_to(chains[:, None], tubes.shape)
        self.done.append((tubes[valid], chain[valid], key[valid]))
        self.free += self.t_row[tubes[valid]].tolist()

    def _end_all(self, chains: np.ndarray, phase: int,
                 reverse: bool) -> None:
        if not len(chains):
            return
        m = self.cur_n[chains]
        tubes = self.cur[chains, :int(m.max())]
        self._end(chains, tubes, np.arange(tubes.shape[1]) < m[:, None],
                  phase, reverse)
        self.cur[chains] = -1
        self.cur_n[chains] = 0

    # -- one frame position of every chain --------------------------------
    def step(self, chains, frames, kstart, kcount) -> None:
        """Each chain's next frame: ``kcount`` boxes from ``kstart``."""
        m = self.cur_n[chains]
        self._sort(chains)
        # a skipped frame ends every tube (sorted, appended reversed)
        self._end_all(chains[(m > 0) & (frames != self.last[chains] + 1)],
                      0, True)
        m = self.cur_n[chains]
        width = max(int(m.max(initial=0)), 1)
        tubes = self.cur[chains, :width]
        has_tube = np.arange(width) < m[:, None]
        boxes = kstart[:, None] + np.arange(KEEP_PER_FRAME)
        free = np.arange(KEEP_PER_FRAME) < kcount[:, None]
        boxes = np.where(free, boxes, 0)
        with np.errstate(invalid='ignore', divide='ignore'):
            iou = iou_matrix(
                self.kept[self.t_last[np.where(has_tube, tubes, 0)], :4],
                self.kept[boxes, :4], self.plus_one)
        ok = (iou >= EXTEND_IOU) & has_tube[:, :, None]
        pick = np.full(tubes.shape, -1)
        rows = np.arange(len(chains))
        for r in range(width):  # tubes in order; boxes sorted: the first
            valid = ok[:, r] & free
            got = valid.any(1)
            j = valid.argmax(1)
            pick[got, r] = j[got]
            free[rows[got], j[got]] = False
        extended = pick >= 0
        self._extend(tubes[extended], boxes[rows[:, None], pick][extended])
        self._end(chains, tubes, has_tube & ~extended, 1, True)
        new = np.full(boxes.shape, -1)
        new[free] = self._start(boxes[free])
        # open tubes: the extended ones in order, then the new ones
        merged = np.concatenate([np.where(extended, tubes, -1), new], 1)
        order = np.argsort(merged < 0, axis=1, kind='stable')
        merged = np.take_along_axis(merged, order, 1)[:, :KEEP_PER_FRAME]
        self.cur[chains] = merged
        self.cur_n[chains] = (merged >= 0).sum(1)
        self.last[chains] = frames

    def close(self, chains: np.ndarray, before_end: np.ndarray) -> None:
        """Chains past their last group: a chain ending before the
        video's last frame is sorted and ended reversed at the next
        (empty) frame; one at the last frame keeps its list order."""
        self._sort(chains[before_end])
        self._end_all(chains[before_end], 2, True)
        self._end_all(chains[~before_end], 2, False)
        self.step_no += 1

    def finished(self) -> Tuple[np.ndarray, np.ndarray]:
        """Tube ids and their chains, in each chain's official order."""
        tubes, chains, keys = (np.concatenate(x) for x in zip(*self.done))
        order = np.lexsort((keys, chains))
        return tubes[order], chains[order]


def _groups(dets: np.ndarray, protocol: str):
    """Rows grouped by (video, label, frame), file order kept inside a
    group; soft-NMS of every group. Returns the group keys ``(G, 3)``,
    the kept boxes ``(M, 5)`` and each group's first kept box and count."""
    v, f, lab = (dets[:, i].astype(np.int64) for i in range(3))
    order = np.lexsort((f, lab, v))
    keys = np.stack([v, lab, f], 1)[order]
    starts = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(1)])
    sizes = np.diff(np.r_[starts, len(order)])
    boxes = dets[order][:, [4, 5, 6, 7, 3]]
    if protocol == 'multisports':  # mmaction2 gathers rows in float64
        boxes = boxes.astype(np.float64)
    count = np.minimum(sizes, KEEP_PER_FRAME)
    first = np.r_[0, np.cumsum(count)[:-1]]
    kept = np.empty((count.sum(), 5), boxes.dtype)
    for n in np.unique(sizes):
        sel = np.flatnonzero(sizes == n)
        group = boxes[starts[sel, None] + np.arange(n)]
        if n > 1:
            group = soft_nms(group)
        kept[first[sel, None] + np.arange(min(n, KEEP_PER_FRAME))] = group
    return keys[starts], kept, first, count


def link_tubes(dets: np.ndarray, videos: Sequence[str],
               nframes: Dict[str, int], num_labels: int,
               protocol: str = 'ucf-jhmdb',
               min_frames: int = MIN_TUBE_FRAMES) -> Dict[int, list]:
    """Tubes of every class from frame detections: ``{label: [(video,
    score, tube (T, 6) [frame, x1, y1, x2, y2, box score])]}``
    (MultiSports' ``video_detections``), videos in split order, each
    video's tubes in the official order.

    Args:
        dets: ``(N, 8)`` rows ``[video_index, frame, label, score, x1,
            y1, x2, y2]`` (checked as ``io.read_frame_detections`` does).
        videos: The split's videos (``video_index`` indexes it).
        nframes: Frames per video (the annotation's ``nframes``).
        num_labels: Number of classes.
        protocol: One of ``PROTOCOLS`` (the extension IoU).
        min_frames: Shorter tubes are dropped (mmaction2's ``len_thre``).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS}, got '
                         f'{protocol!r}')
    out: Dict[int, list] = {label: [] for label in range(num_labels)}
    if not len(dets):
        return out
    keys, kept, kstart, kcount = _groups(dets, protocol)
    new_chain = np.r_[True, (keys[1:, :2] != keys[:-1, :2]).any(1)]
    chain = np.cumsum(new_chain) - 1
    cstart = np.flatnonzero(new_chain)
    step = np.arange(len(keys)) - cstart[chain]
    last_step = np.diff(np.r_[cstart, len(keys)])[chain] - 1
    video_frames = np.array([nframes[v] for v in videos])
    linker = _Linker(kept, len(cstart), protocol == 'ucf-jhmdb')
    by_step = np.argsort(step, kind='stable')
    bounds = np.searchsorted(step[by_step], np.arange(step.max() + 2))
    for s in range(step.max() + 1):
        g = by_step[bounds[s]:bounds[s + 1]]
        linker.step(chain[g], keys[g, 2], kstart[g], kcount[g])
        g = g[step[g] == last_step[g]]
        linker.close(chain[g], keys[g, 2] < video_frames[keys[g, 0]])
    tubes, chains = linker.finished()
    return _build(linker, tubes, chains, keys[cstart], keys[:, 2], kcount,
                  videos, out, min_frames)


def _build(linker, tubes, chains, chain_keys, frames, kcount, videos, out,
           min_frames):
    """The official output: each tube's mean score, the filters, and
    float32 ``[frame, box, score]`` rows."""
    keep = linker.t_len[tubes] >= min_frames
    tubes, chains = tubes[keep], chains[keep]
    # each tube's boxes in frame order (kept boxes are in frame order)
    boxes = np.argsort(linker.box_tube, kind='stable')
    first = np.searchsorted(linker.box_tube[boxes], tubes)
    lengths = linker.t_len[tubes]
    scores = np.empty(len(tubes), linker.kept.dtype)
    for n in np.unique(lengths):
        sel = lengths == n
        rows = boxes[first[sel, None] + np.arange(n)]
        scores[sel] = np.mean(linker.kept[rows, 4], axis=1)
    frame_of = np.repeat(frames, kcount)
    for chain, n, start, score in zip(chains, lengths, first, scores):
        if score < MIN_TUBE_SCORE:
            continue
        rows = boxes[start:start + n]
        arr = np.empty((n, 6), np.float32)
        arr[:, 0] = frame_of[rows]
        arr[:, 1:] = linker.kept[rows]
        video, label = chain_keys[chain, :2]
        out[int(label)].append((videos[video], score, arr))
    return out
