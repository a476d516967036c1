"""The detector over a corpus of videos: one output set per video, shards
for worker processes and distributed ranks, resumable, failures listed.

Each video's outputs (JSON and CSV of actions per track per keyframe, and
optionally the annotated video and the timeline) are written into
``<out>/<name>.part/`` and the folder renamed to ``<out>/<name>/`` once
complete, its ``done.json`` (counts, warnings) last: a killed run leaves
no half-written output under a final name, and a rerun skips every video
whose folder is complete. A video that fails is recorded with its reason
(``<out>/failed/<shard>.csv``) and the run goes on. At the end the first
shard merges what is done into ``<out>/actions.csv`` (AVA's eight
columns: video, second, box, action id, score) and ``<out>/failed.csv``.
"""
import csv
import json
import os
import os.path as osp
import shutil
import time
import traceback
from typing import Callable, Dict, List, Optional, Sequence

from videomae_det_core.errors import InputError

from .outputs import AnnotatedVideo, ResultWriter, plot_timeline, write_atomic

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg',
              '.mpeg')
OUTPUTS = dict(json='actions.json', csv='actions.csv',
               video='annotated.mp4', timeline='timeline.png')


def list_videos(source: str) -> List[str]:
    """The videos of a folder (recursively, sorted) or of a list file (one
    path per line, relative to the file's folder; ``#`` comments)."""
    if osp.isdir(source):
        found = [osp.join(d, f) for d, _, files in os.walk(source)
                 for f in files if f.lower().endswith(VIDEO_EXTS)]
        if not found:
            raise InputError(f'{source}: no videos ({", ".join(VIDEO_EXTS)})')
        return sorted(found)
    if not osp.isfile(source):
        raise InputError(f'{source}: neither a folder nor a list file')
    root, videos = osp.dirname(osp.abspath(source)), []
    with open(source, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                videos.append(line if osp.isabs(line) else
                              osp.join(root, line))
    if not videos:
        raise InputError(f'{source}: lists no videos')
    return videos


def output_names(videos: Sequence[str]) -> List[str]:
    """One folder name per video: its path below the videos' common folder,
    separators as ``__`` (two ``a.mp4`` in different folders stay apart).

    Raises:
        InputError: A video listed twice.
    """
    paths = [osp.abspath(v) for v in videos]
    if len(set(paths)) != len(paths):
        twice = sorted({p for p in paths if paths.count(p) > 1})
        raise InputError(f'videos listed twice: {twice[:5]}')
    root = osp.commonpath([osp.dirname(p) for p in paths])
    return [osp.splitext(osp.relpath(p, root))[0].replace(os.sep, '__')
            for p in paths]


def score_video(inferencer, video: str, writer: ResultWriter,
                annotated: Optional[AnnotatedVideo] = None,
                on_frame: Optional[Callable[[int, int], None]] = None
                ) -> dict:
    """Every keyframe of ``video`` through ``inferencer`` into ``writer``
    (and ``annotated``); returns counts and the decoding warning, if any.
    ``on_frame(frame index, keyframes scored)`` follows the decode."""
    scored = dict(keyframes=0, people=0)

    def sink(index, frame):
        if annotated:
            annotated.frame(index, frame)
        if on_frame:
            on_frame(index, scored['keyframes'])

    for result in inferencer.iter_video(video, sink):
        scored['keyframes'] += 1
        scored['people'] += len(result['people'])
        if annotated:
            annotated.keyframe(result)
        writer.add(result)
    stream = inferencer.last_stream
    writer.duration = stream.num_frames / stream.fps
    if stream.stopped_at is not None:
        scored['warning'] = (
            f'{video}: decoding stopped at frame {stream.stopped_at} of '
            f'{stream.num_frames} ({stream.stopped_at / stream.fps:.2f} s): '
            'scored what was decoded')
    return scored


class Corpus:
    """The videos of a corpus and where their outputs go.

    Args:
        videos: Video paths.
        out_dir: Output folder.
        outputs: Which of ``json``, ``csv``, ``video``, ``timeline``.
    """

    def __init__(self, videos: Sequence[str], out_dir: str,
                 outputs: Sequence[str] = ('json', 'csv')) -> None:
        unknown = set(outputs) - set(OUTPUTS)
        if unknown or not {'json', 'csv'} <= set(outputs):
            raise ValueError(f'outputs: json and csv, and any of video, '
                             f'timeline; got {list(outputs)}')
        self.videos, self.out_dir = list(videos), out_dir
        self.names = output_names(self.videos)
        self.outputs = list(outputs)

    def folder(self, i: int) -> str:
        return osp.join(self.out_dir, self.names[i])

    def done(self, i: int) -> bool:
        return osp.isfile(osp.join(self.folder(i), 'done.json'))

    def shard(self, index: int, count: int) -> List[int]:
        """The videos of shard ``index`` of ``count`` (every count-th)."""
        return list(range(index, len(self.videos), count))

    def run(self, inferencer, shard: int = 0, shards: int = 1,
            log: Callable[[str], None] = print) -> Dict[str, int]:
        """Score the shard's videos not done yet; returns counts of done,
        skipped (done before) and failed."""
        mine = self.shard(shard, shards)
        failed_path = osp.join(self.out_dir, 'failed', f'{shard}.csv')
        os.makedirs(osp.dirname(failed_path), exist_ok=True)
        failures = []
        counts = dict(done=0, skipped=0, failed=0)
        for k, i in enumerate(mine, 1):
            if self.done(i):
                counts['skipped'] += 1
                continue
            start = time.perf_counter()
            try:
                info = self._one(inferencer, i)
            except Exception as err:  # listed, the run goes on
                counts['failed'] += 1
                reason = (str(err) if isinstance(err, (InputError, OSError))
                          else ''.join(traceback.format_exception_only(
                              type(err), err)).strip())
                failures.append([self.videos[i], reason.replace('\n', ' ')])
                log(f'[shard {shard}/{shards}] {k}/{len(mine)} FAILED '
                    f'{self.videos[i]}: {reason}')
            else:
                counts['done'] += 1
                log(f'[shard {shard}/{shards}] {k}/{len(mine)} '
                    f'{self.names[i]}: {info["keyframes"]} keyframes, '
                    f'{info["people"]} people, '
                    f'{time.perf_counter() - start:.1f} s')
            write_atomic(failed_path, ''.join(
                f'{_csv_line(row)}' for row in failures))
        return counts

    def _one(self, inferencer, i: int) -> dict:
        final, part = self.folder(i), self.folder(i) + '.part'
        shutil.rmtree(part, ignore_errors=True)  # a killed run's leftovers
        os.makedirs(part)
        paths = {k: osp.join(part, OUTPUTS[k]) for k in self.outputs}
        writer = ResultWriter(paths['csv'], paths['json'], every=1e9)
        annotated = None
        try:
            try:
                if 'video' in self.outputs:
                    from .keyframes import FrameStream
                    fps = FrameStream(self.videos[i]).fps
                    annotated = AnnotatedVideo(paths['video'], fps,
                                               inferencer.interval)
                info = score_video(inferencer, self.videos[i], writer,
                                   annotated)
            finally:
                writer.close()
                if annotated:
                    annotated.close()
        except BaseException:  # nothing of a failed video is kept
            shutil.rmtree(part, ignore_errors=True)
            raise
        if 'timeline' in self.outputs:
            plot_timeline(writer.results, paths['timeline'],
                          float(inferencer.thr.min()),
                          osp.basename(self.videos[i]), writer.duration)
        info['video'] = self.videos[i]
        write_atomic(osp.join(part, 'done.json'), json.dumps(info))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(part, final)
        return info

    def merge(self, class_ids: Dict[str, int]) -> Dict[str, int]:
        """``actions.csv`` (AVA's columns, every done video in list order)
        and ``failed.csv`` (video, reason; the failures not since done)."""
        rows = 0
        tmp = osp.join(self.out_dir, 'actions.csv.tmp')
        with open(tmp, 'w', newline='') as f:
            out = csv.writer(f)
            for i, name in enumerate(self.names):
                if not self.done(i):
                    continue
                with open(osp.join(self.folder(i), OUTPUTS['json'])) as g:
                    for result in json.load(g):
                        for person in result['people']:
                            for action, score in person['actions']:
                                out.writerow([
                                    name, _second(result['second']),
                                    *[f'{v:.4f}' for v in person['box']],
                                    class_ids[action], f'{score:.4f}'])
                                rows += 1
        os.replace(tmp, osp.join(self.out_dir, 'actions.csv'))
        failed = []
        folder = osp.join(self.out_dir, 'failed')
        for name in sorted(os.listdir(folder)) if osp.isdir(folder) else []:
            with open(osp.join(folder, name), newline='') as f:
                failed.extend(csv.reader(f))
        index = {v: i for i, v in enumerate(self.videos)}
        latest = {row[0]: row for row in failed}  # one line per video
        failed = [latest[v] for v in self.videos if v in latest and
                  not self.done(index[v])]
        write_atomic(osp.join(self.out_dir, 'failed.csv'),
                     ''.join(_csv_line(row) for row in failed))
        return dict(rows=rows, failed=len(failed),
                    done=sum(self.done(i) for i in range(len(self.videos))))


def _second(value: float):
    return int(value) if float(value).is_integer() else value


def _csv_line(row) -> str:
    import io
    buf = io.StringIO()
    csv.writer(buf).writerow(row)
    return buf.getvalue()
