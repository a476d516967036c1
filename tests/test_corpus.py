"""tools/infer_videos.py over a dozen real and toy clips with a corrupt one:
on 2 CPU ranks (torchrun), killed and resumed with 2 worker processes,
every output equal to a single-process run's; failures listed."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from conftest import ROOT, run_python

LABELS = str(ROOT / 'tests' / 'helpers' / 'toy_action_list.pbtxt')
CONFIG = str(ROOT / 'configs' / 'ava_toy_vit-tiny_video.py')


@pytest.fixture(scope='module')
def corpus(tmp_path_factory, clips):
    """4 real clips, 7 drawn ones (one named like a real one, in another
    folder) and a file that is not a video, in a list file."""
    root = tmp_path_factory.mktemp('corpus')
    (root / 'toy').mkdir()
    for name in ('bikes', 'carphone_pristine', 'carphone_distorted',
                 'bigbuckbunny'):
        shutil.copy(clips[name], root / f'{name}.mp4')
    rng = np.random.default_rng(0)
    for k, name in enumerate(['walk', 'run', 'carphone_pristine', 'jump',
                              'sit', 'wave', 'turn']):
        out = cv2.VideoWriter(str(root / 'toy' / f'{name}.mp4'),
                              cv2.VideoWriter_fourcc(*'mp4v'), 25, (128, 96))
        x = rng.integers(0, 80)
        for t in range(50 + 10 * k):
            img = np.full((96, 128, 3), 40 + 20 * k, np.uint8)
            cv2.rectangle(img, (x + t // 2, 20), (x + t // 2 + 20, 80),
                          (200, 180, 160), -1)
            out.write(img)
        out.release()
    (root / 'broken.mp4').write_text('not a video')
    videos = sorted(str(p.relative_to(root)) for p in root.rglob('*.mp4'))
    (root / 'list.txt').write_text('# the corpus\n' + '\n'.join(videos) +
                                   '\n')
    assert len(videos) == 12
    return root


def infer(corpus, out, detector, *extra):
    return run_python([str(ROOT / 'tools/infer_videos.py'),
                       str(corpus / 'list.txt'), CONFIG, detector,
                       '--out-dir', str(out), '--labels', LABELS, '--thr',
                       '0', '--timeline', *extra])


def outputs(folder):
    """video name -> (keyframe seconds, boxes, action scores), the merged
    rows and the failures."""
    got = {}
    for d in sorted(folder.iterdir()):
        if (d / 'done.json').is_file():
            data = json.loads((d / 'actions.json').read_text())
            got[d.name] = [(r['second'], [(p['box'], p['actions'])
                                          for p in r['people']])
                           for r in data]
    rows = list(csv.reader(open(folder / 'actions.csv')))
    failed = list(csv.reader(open(folder / 'failed.csv')))
    return got, rows, failed


def close(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return abs(a - b) <= 1e-4
    return a == b


def parse(row):
    return [row[0], row[1], *map(float, row[2:6]), row[6], float(row[7])]


def test_two_ranks_killed_and_resumed_equal_one_process(tmp_path, corpus,
                                                         detector):
    ref = tmp_path / 'ref'
    result = infer(corpus, ref, detector)
    assert '11 of 12 videos done, 1 failed' in result.stdout
    got, rows, failed = outputs(ref)
    assert len(got) == 11 and {'carphone_pristine',
                               'toy__carphone_pristine'} <= set(got)
    assert [f[0] for f in failed] == [str(corpus / 'broken.mp4')]
    assert 'not a readable video' in failed[0][1]
    assert len(rows) == sum(len(p[1]) for v in got.values() for _, ps in v
                            for p in ps) > 0
    assert (ref / 'bikes' / 'timeline.png').is_file()

    # 2 ranks, killed once the first video is done
    out = tmp_path / 'dist'
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        ['bash', str(ROOT / 'tools/dist_infer.sh'), str(corpus / 'list.txt'),
         CONFIG, detector, '2', '--out-dir', str(out), '--labels', LABELS,
         '--thr', '0', '--timeline'], env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while not list(out.glob('*/done.json')) and time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = [d.name for d in out.iterdir() if (d / 'done.json').is_file()]
    assert 1 <= len(done) < 11
    # nothing half-written under a final name
    for d in out.iterdir():
        if d.is_dir() and d.name != 'failed':
            assert d.name.endswith('.part') or (d / 'done.json').is_file()
    # resumed with 2 worker processes: the rest, the done ones skipped
    result = infer(corpus, out, detector, '--workers', '2')
    assert '11 of 12 videos done, 1 failed' in result.stdout
    assert f'{len(done)} skipped as done' in result.stdout
    assert not list(out.glob('*.part'))
    theirs, merged, failed2 = outputs(out)
    assert set(theirs) == set(got)
    for name in got:
        assert close(theirs[name], got[name]), name
    assert close([parse(r) for r in merged], [parse(r) for r in rows])
    assert failed2 == failed


def test_bad_list_is_one_line(tmp_path):
    (tmp_path / 'empty.txt').write_text('# nothing\n')
    result = run_python([str(ROOT / 'tools/infer_videos.py'),
                         str(tmp_path / 'empty.txt'), CONFIG, 'x.pth',
                         '--out-dir', str(tmp_path / 'o')], check=False)
    assert result.returncode == 1 and 'empty.txt: lists no videos' in \
        result.stderr
