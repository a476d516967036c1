"""The tube benchmarks' data tools: the pre-training check, person boxes
for every frame (resumable), and MultiSports' released boxes."""
import pickle
import shutil

import numpy as np
import pytest

from conftest import ROOT, run_python
from videomae_det_core.tubes.boxes import read_frames, write_person_boxes
from videomae_det_core.tubes.io import read_ground_truth

CONFIG = str(ROOT / 'configs/tubes_toy_vit-tiny.py')


def test_check_data_reports_what_is_missing(toy_tubes_root, tmp_path):
    ok = run_python([str(ROOT / 'tools/data/tubes/check_data.py'), CONFIG],
                    cwd=toy_tubes_root)
    assert 'all present' in ok.stdout
    assert 'person boxes data/toy_tubes/toy_tubes_proposals.pkl: ' in \
        ok.stdout and '100.0% of' in ok.stdout
    root = tmp_path / 'data' / 'toy_tubes'
    shutil.copytree(toy_tubes_root / 'data' / 'toy_tubes', root)
    gt = read_ground_truth(str(root / 'toy_tubes_GT.pkl'))
    test, train = gt['test_videos'][0][0], gt['train_videos'][0][0]
    shutil.rmtree(root / 'rgb-images' / test)
    last = gt['nframes'][train]
    (root / 'rgb-images' / train / f'{last:05d}.jpg').unlink()
    bad = run_python([str(ROOT / 'tools/data/tubes/check_data.py'), CONFIG],
                     cwd=tmp_path, check=False)
    assert bad.returncode == 1 and '2 problems' in bad.stderr
    assert f'test: {test}: no frame folder' in bad.stdout
    assert f'train: {train}: ' in bad.stdout and \
        f'{last:05d}.jpg (nframes={last}) is missing' in bad.stdout


def test_person_boxes_are_written_per_video_and_resume(toy_tubes_root,
                                                       tmp_path):
    data = toy_tubes_root / 'data' / 'toy_tubes'
    gt = read_ground_truth(str(data / 'toy_tubes_GT.pkl'))
    videos = gt['test_videos'][0]
    calls = []

    def frames(video):
        return read_frames(str(data / 'rgb-images'), video,
                           gt['nframes'][video], every=5)

    def detect(img):
        calls.append(img.shape)
        if len(calls) == 6:
            raise KeyboardInterrupt  # killed in the second video
        return np.array([[0.1, 0.2, 0.3, 0.4, 0.9]])

    out = str(tmp_path / 'boxes.pkl')
    with pytest.raises(KeyboardInterrupt):
        write_person_boxes(videos, frames, detect, out)
    first = len(range(1, gt['nframes'][videos[0]] + 1, 5))
    assert first < 6 and (tmp_path / 'boxes.pkl.partial').exists()
    calls.clear()
    boxes = write_person_boxes(videos, frames, lambda img: detect(img) if
                               len(calls) < 5 else np.zeros((0, 5)), out)
    # the finished first video is not run again
    assert len(calls) == sum(len(range(1, gt['nframes'][v] + 1, 5))
                             for v in videos[1:])
    assert calls[0] == (96, 128, 3)
    assert not (tmp_path / 'boxes.pkl.partial').exists()
    assert pickle.load(open(out, 'rb')).keys() == boxes.keys()
    assert f'{videos[0]},00006' in boxes


def test_hog_boxes_through_the_tool(toy_tubes_root, tmp_path):
    out = tmp_path / 'hog.pkl'
    run_python([str(ROOT / 'tools/data/tubes/detect_people.py'), CONFIG,
                str(out), '--hog', '--every', '4'], cwd=toy_tubes_root)
    boxes = pickle.load(open(out, 'rb'))
    assert all(k.endswith(('00001', '00005', '00009')) or
               int(k[-5:]) % 4 == 1 for k in boxes)
    assert all(b.shape[1] == 5 for b in boxes.values())


def test_multisports_release_is_rekeyed(tmp_path):
    gt = dict(labels=['a'], gttubes={}, train_videos=[[]],
              nframes={'football/v_x1': 30, 'basketball/v_y2': 30},
              test_videos=[['football/v_x1', 'basketball/v_y2']],
              resolution={'football/v_x1': (720, 1280),
                          'basketball/v_y2': (720, 1280)})
    with open(tmp_path / 'GT.pkl', 'wb') as f:
        pickle.dump(gt, f)
    (tmp_path / 'box').mkdir()
    release = {'v_x1,1': np.array([[.1, .1, .2, .3, .9], [.5, .5, .6, .7,
                                                          .04]]),
               'v_y2,12': np.array([[.1, .1, .2, .3, .5]])}
    with open(tmp_path / 'box' / 'val.recall_96.13.pkl', 'wb') as f:
        pickle.dump(release, f)
    out = run_python([str(ROOT / 'tools/data/tubes/convert_multisports_'
                          'boxes.py'), str(tmp_path / 'GT.pkl'),
                      str(tmp_path / 'box'), str(tmp_path / 'out')])
    assert '2 boxes on 2 frames of 2 videos' in out.stdout
    boxes = pickle.load(open(tmp_path / 'out' / 'person_boxes_val.pkl',
                             'rb'))
    assert sorted(boxes) == ['basketball/v_y2,00012', 'football/v_x1,00001']
    release['v_z9,3'] = release['v_y2,12']
    with open(tmp_path / 'box' / 'val.recall_96.13.pkl', 'wb') as f:
        pickle.dump(release, f)
    bad = run_python([str(ROOT / 'tools/data/tubes/convert_multisports_'
                          'boxes.py'), str(tmp_path / 'GT.pkl'),
                      str(tmp_path / 'box'), str(tmp_path / 'out')],
                     check=False)
    assert bad.returncode == 1 and "key 'v_z9,3': video 'v_z9' is not in" \
        in bad.stderr


def test_organize_lays_out_a_download_from_its_archive(toy_tubes_root,
                                                       tmp_path):
    """A UCF101-24-like download (the pickle beside a tar.gz of the
    frames) becomes the config's layout, linked, and a missing piece is
    named."""
    import tarfile
    data = toy_tubes_root / 'data' / 'toy_tubes'
    download = tmp_path / 'download'
    (download / 'annotations').mkdir(parents=True)
    shutil.copy(data / 'toy_tubes_GT.pkl',
                download / 'annotations' / 'UCF101v2-GT.pkl')
    with tarfile.open(download / 'frames.tar.gz', 'w:gz') as tar:
        tar.add(data / 'rgb-images', arcname='ucf24/rgb-images')
    out = tmp_path / 'data' / 'ucf24'
    run_python([str(ROOT / 'tools/data/tubes/organize.py'), 'ucf24',
                str(download), '--out', str(out)])
    assert (out / 'UCF101v2-GT.pkl').is_symlink()
    gt = read_ground_truth(str(out / 'UCF101v2-GT.pkl'))
    video = gt['test_videos'][0][0]
    assert (out / 'rgb-images' / video / '00001.jpg').is_file()
    again = run_python([str(ROOT / 'tools/data/tubes/organize.py'), 'ucf24',
                        str(download), '--out', str(out)])
    assert 'unpacking' not in again.stdout  # unpacked once
    bad = run_python([str(ROOT / 'tools/data/tubes/organize.py'), 'jhmdb',
                      str(download), '--out', str(tmp_path / 'j')],
                     check=False)
    assert bad.returncode == 1 and 'jhmdb: JHMDB-GT.pkl is not in' in \
        bad.stderr
