"""Bad inputs: corrupt videos name their file or are skipped with a count,
untrusted proposal pickles are refused, and fuzzed readers and the
evaluation CLI raise our clear errors or succeed, nothing else."""
import pickle
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import videomae_det  # noqa: F401

# isort: split
from mmaction.registry import DATASETS
from mmaction.utils import register_all_modules

from conftest import ROOT, run_python
from videomae_det.datasets import VideoListError
from videomae_det.datasets.bad_samples import SampleLoadError
from videomae_det.evaluation.ava import AVAFormatError, read_label_map
from videomae_det_core.ava.io import read_csv
from videomae_det_core.proposals import read_proposals

register_all_modules()
PIPELINE = [dict(type='DecordInit', num_threads=1),
            dict(type='SampleFrames', clip_len=4, frame_interval=2,
                 num_clips=1),
            dict(type='DecordDecode')]


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    data = tmp_path_factory.mktemp('toy_cls')
    run_python([str(ROOT / 'tools/data/make_toy_cls.py'), str(data),
                '--per-class', '2'])
    bad = data / 'videos' / 'rise_001.mp4'
    bad.write_bytes(bad.read_bytes()[:300])  # truncated
    return data


def build(data, **kw):
    return DATASETS.build(dict(
        type='CheckedVideoDataset', ann_file=str(data / 'toy_cls_train.txt'),
        data_prefix=dict(video=str(data)), pipeline=PIPELINE, **kw))


def test_truncated_video_names_the_file_or_is_skipped_and_counted(videos):
    dataset = build(videos)
    bad = next(i for i in range(len(dataset))
               if 'rise_001' in dataset.get_data_info(i)['filename'])
    with pytest.raises(SampleLoadError, match=r'rise_001\.mp4: cannot load'):
        dataset[bad]
    dataset = build(videos, skip_bad_samples=True)
    sample = dataset[bad]
    assert 'rise_001' not in sample['filename']
    assert dataset.skipped >= 1  # another draw may hit it again


def test_unlabelled_videos_report_a_truncated_file(videos):
    dataset = DATASETS.build(dict(
        type='UnlabelledVideoDataset', data_prefix=dict(
            video=str(videos / 'videos')),
        pipeline=[dict(type='DecodeClips', clip_len=4, frame_interval=2)]))
    bad = next(i for i in range(len(dataset))
               if 'rise_001' in dataset.get_data_info(i)['filename'])
    with pytest.raises(SampleLoadError, match='rise_001.mp4'):
        dataset[bad]


class Boom:
    def __reduce__(self):
        return (shutil.rmtree, ('/nonexistent-videomae-det',))


def test_proposals_pickle_that_runs_code_is_refused(tmp_path):
    path = tmp_path / 'proposals.pkl'
    path.write_bytes(pickle.dumps({'vid,0902': Boom()}))
    with pytest.raises(AVAFormatError, match='shutil.rmtree is not allowed'):
        read_proposals(str(path))
    # mmaction2's AVADataset goes through the same reader
    import mmaction.datasets.ava_dataset as ava
    with pytest.raises(AVAFormatError, match='not a proposals pickle'):
        ava.load(str(path))
    good = {'vid,0902': np.array([[0.1, 0.1, 0.5, 0.9, 0.99]])}
    path.write_bytes(pickle.dumps(good))
    assert read_proposals(str(path))['vid,0902'].shape == (1, 5)
    for bad, message in (([1, 2], 'expected a dict'),
                         ({'vid': np.zeros((1, 4))}, 'is not "video,time"'),
                         ({'vid,0902': np.zeros((1, 3))}, r'\(N, 4\|5\)'),
                         ({'vid,0902': np.full((1, 4), 2.)}, 'in \\[0, 1\\]')):
        path.write_bytes(pickle.dumps(bad))
        with pytest.raises(AVAFormatError, match=message):
            read_proposals(str(path))


FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
ROW = st.lists(st.one_of(st.text(max_size=8), st.floats(allow_nan=True),
                         st.integers(-5, 2000)), max_size=9)


@FUZZ
@given(rows=st.lists(ROW, max_size=6))
def test_fuzz_ava_csv_reader(tmp_path, rows):
    path = tmp_path / 'fuzz.csv'
    path.write_text('\n'.join(','.join(map(str, r)) for r in rows))
    try:
        read_csv(str(path), set(range(1, 81)))
    except AVAFormatError as err:
        assert str(path) in str(err)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(
    list('item{}nam:id"0123456789 \n-_x')), max_size=120))
def test_fuzz_label_map_reader(tmp_path, text):
    path = tmp_path / 'fuzz.pbtxt'
    path.write_text(text)
    try:
        read_label_map(str(path))
    except AVAFormatError as err:
        assert str(path) in str(err)


@FUZZ
@given(data=st.one_of(
    st.binary(max_size=64),
    st.builds(pickle.dumps, st.recursive(
        st.one_of(st.integers(), st.text(max_size=6), st.floats()),
        lambda c: st.dictionaries(st.text(max_size=10), c, max_size=3) |
        st.lists(c, max_size=3), max_leaves=6))))
def test_fuzz_proposals_reader(tmp_path, data):
    path = tmp_path / 'fuzz.pkl'
    path.write_bytes(data)
    try:
        read_proposals(str(path))
    except AVAFormatError as err:
        assert str(path) in str(err)


@FUZZ
@given(lines=st.lists(st.text(alphabet=st.sampled_from(list('ab.mp4 -7x\t')),
                              max_size=14), max_size=5))
def test_fuzz_video_list(tmp_path, lines):
    path = tmp_path / 'fuzz.txt'
    path.write_text('\n'.join(lines))
    try:
        DATASETS.build(dict(type='CheckedVideoDataset', ann_file=str(path),
                            pipeline=[], num_classes=5))
    except VideoListError as err:
        assert str(path) in str(err)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=0, max_size=2048))
def test_fuzz_video_reader(tmp_path, data):
    from videomae_det.datasets.transforms import probe_video
    path = tmp_path / 'fuzz.mp4'
    path.write_bytes(data)
    probe_video.cache_clear()
    try:
        probe_video(str(path))
    except OSError as err:
        assert 'fuzz.mp4' in str(err)


@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=4))
def test_fuzz_evaluation_cli(tmp_path, rows):
    det = tmp_path / 'det.csv'
    det.write_text('\n'.join(','.join(map(str, r)) for r in rows))
    gt = tmp_path / 'gt.csv'
    gt.write_text('vid,0902,0.1,0.1,0.5,0.5,1,0\n')
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text('item {\n  name: "a"\n  id: 1\n}\n')
    result = run_python([str(ROOT / 'tools/eval_ava.py'), str(det), '--gt',
                         str(gt), '--labels', str(labels)], check=False)
    assert result.returncode in (0, 1), result.stderr  # 1: bad input
    assert result.returncode != 1 or 'error: ' in result.stderr
    assert 'Traceback' not in result.stderr, result.stderr


def test_missing_ava_frames_name_the_folder(tmp_path):
    """The toy AVA set with one frame folder gone: the build names it (with
    the count); with one frame gone, the sample that needs it names the
    folder."""
    from videomae_det_core.errors import InputError
    toy = tmp_path / 'toy_ava'
    run_python([str(ROOT / 'tools/data/make_toy_ava.py'), str(toy),
                '--videos', '2', '--val-videos', '1'])
    from mmengine.config import Config
    cfg = Config.fromfile(str(ROOT / 'configs' / 'ava_toy_vit-tiny.py'))
    ds = cfg.val_dataloader.dataset
    anno = toy / 'annotations'
    ds.update(ann_file=str(anno / 'toy_val.csv'),
              exclude_file=str(anno / 'toy_val_excluded_timestamps.csv'),
              label_file=str(anno / 'toy_action_list.pbtxt'),
              proposal_file=str(anno / 'toy_dense_proposals_val.pkl'),
              data_prefix=dict(img=str(toy / 'rawframes')))
    frames = toy / 'rawframes' / 'toy-001_0'
    (frames / 'img_00060.jpg').unlink()  # keyframe 902 s centres here
    dataset = DATASETS.build(ds)
    assert type(dataset).__name__ == 'CheckedAVADataset'
    with pytest.raises(SampleLoadError, match=r'toy-001_0: cannot load'):
        dataset[0]
    shutil.rmtree(frames)
    with pytest.raises(InputError, match=r"toy_val.csv: 1 of 1 videos "
                       r"cannot be read under .*rawframes: 'toy-001_0' "
                       r"\(missing\)"):
        DATASETS.build(ds)
