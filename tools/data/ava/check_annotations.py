"""Check AVA-format annotations, proposals and videos/frames against each
other, and write a config for them.

    python tools/data/ava/check_annotations.py --ann train.csv \
        [--val-ann val.csv] [--labels LABELS.pbtxt] \
        [--proposals TRAIN.pkl --val-proposals VAL.pkl] \
        [--frames DIR | --videos DIR] [--timestamp-start 0] \
        [--start 902 --end 1798] [--write-config my_data.py]

Reports, without stopping at the first: rows that do not parse (file and
line: pixel boxes, CRLF/BOM handled, headers), keyframes outside their
video (its length read from the video, or from the frame folder at the
rate extract_frames.py recorded), videos without a frame folder or file,
keyframes without proposals, proposals of the wrong structure, action ids
outside the label map. Timestamps are seconds from each video's start
(``--timestamp-start`` is the time of its first frame: 900 for AVA's cut
segments); ``--start/--end`` add a fixed range check (AVA: 902-1798).
Exits 1 if anything is wrong; else ``--write-config`` writes a config that
inherits the project's AVA detector (``--base``, new-style) with these
files, the label map's classes, ``num_classes``, ``topk``, timestamps and
fps. Without ``--proposals`` the annotated boxes are the proposals. Works
offline; shows progress.
"""
import argparse
import os
import os.path as osp
import sys
from collections import Counter

from videomae_det_core.ava import AVAFormatError, read_label_map
from videomae_det_core.ava.io import check_row, image_key, read_rows
from videomae_det_core.ava.timing import learn_spans, recorded_fps
from videomae_det_core.progress import ProgressBar
from videomae_det_core.proposals import load_plain, read_proposals
from videomae_det_core.video_files import VIDEO_EXTENSIONS


def find_video(video: str, args) -> str:
    """``'ok'``, ``'frames'`` (a frame folder where a video file was
    asked for) or ``'missing'``."""
    if args.frames:
        return 'ok' if osp.isdir(osp.join(args.frames, video)) else 'missing'
    if video_suffix(video, args):
        return 'ok'
    return 'frames' if osp.isdir(osp.join(args.videos, video)) else 'missing'


def video_suffix(video: str, args):
    return next((ext for ext in VIDEO_EXTENSIONS if osp.isfile(
        osp.join(args.videos, video + ext))), None)


def read_annotations(path: str, problems: list) -> list:
    """``(lineno, row)`` of the rows that parse; the others as problems."""
    rows = []
    for lineno, row in read_rows(path):
        try:
            check_row(row, path, lineno)
            rows.append((lineno, row))
        except AVAFormatError as err:
            problems.append(str(err))
    return rows


def check_lengths(files: dict, args, facts: dict) -> list:
    """Keyframes outside their videos (lengths learned as the dataset
    learns them); ``facts`` gets the videos' lengths and rate."""
    videos = sorted({r[0] for rows in files.values() for _, r in rows})
    root = args.frames or args.videos
    suffixes = {} if args.frames else {
        v: video_suffix(v, args) for v in videos}
    found = [v for v in videos if args.frames or suffixes[v]]
    fps = (args.frames and recorded_fps(root)) or args.fps
    spans = {}
    for suffix in set(suffixes.values()) - {None} or {None}:
        group = [v for v in found if suffixes.get(v) == suffix]
        try:
            spans.update(learn_spans(group, root, fps or 30,
                                     args.timestamp_start, suffix)[0])
        except AVAFormatError as err:
            return [str(err)]
    problems = []
    for path, rows in files.items():
        outside = [(n, r) for n, r in rows if r[0] in spans and not 0 <= int(
            r[1]) - spans[r[0]].origin < spans[r[0]].seconds]
        for n, r in outside[:5]:
            problems.append(
                f'{path}:{n}: keyframe {int(r[1])} s of video {r[0]!r} is '
                f'{int(r[1]) - args.timestamp_start:g} s into it, outside '
                f'its {spans[r[0]].describe()} (--timestamp-start '
                f'{args.timestamp_start:g})')
        if len(outside) > 5:
            problems.append(f'{path}: {len(outside) - 5} more keyframes lie '
                            'outside their videos')
    rates = Counter(round(s.fps, 3) for s in spans.values())
    facts.update(spans=spans, fps=fps if args.frames else (
        rates.most_common(1)[0][0] if rates else None),
        suffix=Counter(suffixes.values()).most_common(1)[0][0]
        if suffixes else None)
    return problems


def check(args, facts: dict = None) -> list:
    facts = {} if facts is None else facts
    problems = []
    files = {args.ann: read_annotations(args.ann, problems)}
    if args.val_ann:
        files[args.val_ann] = read_annotations(args.val_ann, problems)
    rows = [r for rows in files.values() for _, r in rows]
    if args.start is not None or args.end is not None:
        start = -float('inf') if args.start is None else args.start
        end = float('inf') if args.end is None else args.end
        stamps = Counter(int(r[1]) for r in rows
                         if not start <= int(r[1]) <= end)
        if stamps:
            problems.append(f'{sum(stamps.values())} rows have timestamps '
                            f'outside --start {args.start} --end '
                            f'{args.end}: {sorted(stamps)[:10]}')
    ids = None
    if args.labels:
        try:
            _, ids = read_label_map(args.labels)
        except AVAFormatError as err:
            problems.append(str(err))
    if ids is not None:
        unknown = Counter(int(r[6]) for r in rows if int(r[6]) not in ids)
        if unknown:
            problems.append(f'action ids not in {args.labels} (ignored by '
                            f'the evaluator): {dict(unknown)}')
        facts['classes'] = sorted(ids)
    videos = sorted({r[0] for r in rows})
    if args.frames or args.videos:
        # a bar on a terminal; a log gets no carriage-return flood
        bar = ProgressBar(len(videos)) if sys.stdout.isatty() else None
        found = {'ok': [], 'frames': [], 'missing': []}
        for video in videos:
            found[find_video(video, args)].append(video)
            if bar:
                bar.update()
        if bar:
            print()
        where = args.frames or args.videos
        problems += [f'video {v} has no '
                     f'{"frame folder" if args.frames else "file"} in '
                     f'{where}' for v in found['missing']]
        if found['frames']:
            problems.append(
                f'{len(found["frames"])} of {len(videos)} videos have frame '
                f'folders in {where}, not video files: for extracted '
                f'frames use --frames {where}')
        problems += check_lengths(files, args, facts)
    for ann, path in ((args.ann, args.proposals),
                      (args.val_ann, args.val_proposals)):
        if path and ann:
            problems += check_proposals(path, files[ann])
    return problems


def check_proposals(path: str, rows: list) -> list:
    problems = []
    try:
        proposals = read_proposals(path)
    except AVAFormatError as err:
        problems.append(str(err))
        try:  # still list the keyframes without proposals
            proposals = load_plain(path)
        except AVAFormatError:
            proposals = None
    if isinstance(proposals, dict):
        keys = {image_key(r[0], r[1]) for _, r in rows}
        missing = sorted(keys - set(proposals))
        if missing:
            problems.append(f'{path}: {len(missing)} of {len(keys)} '
                            f'keyframes have no proposals, e.g. '
                            f'{missing[:5]} (the dataset stops on them '
                            "unless missing_proposals='skip' or "
                            "'whole_frame')")
    return problems


CONFIG = """\
# Written by tools/data/ava/check_annotations.py: {n} actions (label map
# ids {ids}), {videos} videos ({lengths}), timestamps in seconds from
# {origin:g} at each video's first frame.{val_note}
# Train: python tools/train.py {out} (or python -m videomae_det.tools train)
from mmengine.config import read_base

with read_base():
    from videomae_det.configs.{base} import *

root = {root!r}
labels = {labels!r}
train_ann = {ann!r}
train_proposals = {proposals!r}  # None: the annotated boxes
val_ann = {val_ann!r}
val_proposals = {val_proposals!r}
classes = {ids_list}
num_classes = len(classes) + 1  # background first

model.backbone.init_cfg = {init}
# mmaction2's head scores top-k accuracy in training: k below num_classes
model.roi_head.bbox_head.update(num_classes=num_classes, topk={topk})
data = dict(
    custom_classes=classes, num_classes=num_classes, label_file=labels,
    timestamp_start={origin!r}, timestamp_end=None,  # each video's length
    fps={fps}, data_prefix=dict(img=root), exclude_file=None)
train_dataloader.dataset.update(
    ann_file=train_ann, proposal_file=train_proposals, **data)
for loader in (val_dataloader, test_dataloader):
    loader.dataset.update(ann_file=val_ann, proposal_file=val_proposals,
                          **data)
for evaluator in (val_evaluator, test_evaluator):
    evaluator.update(ann_file=val_ann, label_file=labels, exclude_file=None,
                     custom_classes=classes, num_classes=num_classes)
"""
VIDEO_ROUTE = """\
# the videos are read directly (no extracted frames)
for loader in (train_dataloader, val_dataloader, test_dataloader):
    loader.dataset.pipeline[1] = dict(type='AVAVideoDecode', suffix={suffix!r})
"""
END = "del loader, evaluator  # not config keys\n"


def write_config(args, facts: dict) -> str:
    """The config text for what ``check`` found."""
    ids = facts.get('classes')
    if not ids:
        raise SystemExit('error: --write-config needs --labels (the classes)')
    spans = facts.get('spans', {})
    seconds = [s.seconds for s in spans.values()]
    n = len(ids)
    topk = tuple(k for k in (1, 3, 5) if k < n + 1) or None
    def absolute(path):
        return path and osp.abspath(path)
    text = CONFIG.format(
        n=n, ids=', '.join(map(str, ids)), ids_list=list(ids),
        videos=len(spans), lengths=f'{min(seconds):.1f}-{max(seconds):.1f} '
        's' if seconds else 'lengths not read',
        origin=args.timestamp_start, out=args.write_config,
        val_note='' if args.val_ann else '\n# Validation: the training '
        'annotations (no --val-ann).', base=args.base, topk=topk,
        fps=round(facts.get('fps') or 30), labels=absolute(args.labels),
        root=absolute(args.frames or args.videos),
        ann=absolute(args.ann), proposals=absolute(args.proposals),
        val_ann=absolute(args.val_ann or args.ann),
        val_proposals=absolute(args.val_proposals if args.val_ann else
                               args.proposals),
        init=f"dict(type='Pretrained', checkpoint={args.pretrained!r})"
        if args.pretrained else 'None  # or your pre-trained VideoMAE')
    if args.videos:
        text += VIDEO_ROUTE.format(suffix=facts.get('suffix') or '.mp4')
    return text + END


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 2)[2])
    parser.add_argument('--ann', required=True,
                        help='annotations (training, or the one to check)')
    parser.add_argument('--val-ann', help='validation annotations')
    parser.add_argument('--labels', help='label map (.pbtxt)')
    parser.add_argument('--proposals', help='proposals of --ann (.pkl)')
    parser.add_argument('--val-proposals', help='proposals of --val-ann')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--frames', help='folder of <video>/img_*.jpg')
    group.add_argument('--videos', help='folder of <video>.mp4')
    parser.add_argument(
        '--timestamp-start', type=float, default=0,
        help='annotation time of each video\'s first frame (0: timestamps '
        'are seconds from the start; 900: AVA\'s cut segments)')
    parser.add_argument('--fps', type=float, default=None,
                        help='rate of --frames when no frames.json says')
    parser.add_argument('--start', type=int, default=None,
                        help='lowest allowed timestamp (AVA: 902)')
    parser.add_argument('--end', type=int, default=None,
                        help='highest allowed timestamp (AVA: 1798)')
    parser.add_argument('--write-config', metavar='OUT.py',
                        help='write a config for these files (when no '
                        'problem is found)')
    parser.add_argument('--base', default='ava_vitb',
                        help='the detector to inherit (a module of '
                        'videomae_det.configs; default ava_vitb)')
    parser.add_argument('--pretrained', help='pre-trained VideoMAE weights '
                        'for the config (default: none, from scratch)')
    args = parser.parse_args()
    for path in (args.ann, args.val_ann, args.labels, args.proposals,
                 args.val_proposals):
        if path and not os.path.isfile(path):
            print(f'error: not found: {path}', file=sys.stderr)
            return 2
    facts = {}
    problems = check(args, facts)
    for p in problems:
        print(f'- {p}')
    print('OK' if not problems else f'{len(problems)} problem(s)')
    if problems:
        return 1
    if args.write_config:
        text = write_config(args, facts)
        with open(args.write_config, 'w') as f:
            f.write(text)
        print(f'wrote {args.write_config}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
