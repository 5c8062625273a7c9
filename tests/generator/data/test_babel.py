"""BABEL-format frame labels: BABEL's own JSON and our frame_labels files; HumanML3D caption lines and tokens."""

from __future__ import annotations

import json

import pytest

from generator.data.babel import Segment, make_entry, per_frame_labels, read_babel, read_frame_labels
from generator.data.layout import Caption, parse_caption_line
from generator.data.tokens import tokenize
from generator.motion.errors import InputError

BABEL = {
    "12906": {
        "babel_sid": 12906,
        "url": "https://example.invalid/12906",
        "feat_p": "CMU/CMU/02/02_04_poses.npz",
        "dur": 1.0,
        "seq_ann": {"babel_lid": "a", "mul_act": True, "labels": [
            {"raw_label": "walk and wave", "proc_label": "walk and wave", "seg_id": "s0", "act_cat": ["walk", "wave"]}
        ]},
        "frame_ann": {"babel_lid": "b", "mul_act": True, "labels": [
            {"raw_label": "Walking", "proc_label": "walk", "seg_id": "f0", "act_cat": ["walk"],
             "start_t": 0.0, "end_t": 0.6},
            {"raw_label": "waving", "proc_label": "wave", "seg_id": "f1", "act_cat": ["wave"],
             "start_t": 0.5, "end_t": 0.9},
            {"raw_label": "transition", "proc_label": "transition", "seg_id": "f2", "act_cat": None,
             "start_t": 0.9, "end_t": 1.0},
        ]},
    },
    "7": {
        "babel_sid": 7, "feat_p": "x.npz", "dur": 0.2,
        "seq_ann": {"labels": [{"raw_label": "Stand", "proc_label": "stand", "seg_id": "z", "act_cat": ["stand"]}]},
        "frame_ann": None,
    },
}  # fmt: skip


def test_babel_reader_gives_per_frame_labels_at_30_fps(tmp_path):
    path = tmp_path / "val.json"
    path.write_text(json.dumps(BABEL))
    seqs = read_babel(path)
    walk = seqs["12906"]
    assert walk.num_frames == 30 and walk.fps == 30
    assert [s.label for s in walk.segments] == ["walk", "wave", "transition"]
    assert walk.segments[1].act_cat == ("wave",) and walk.segments[2].act_cat == ()
    labels = walk.per_frame
    assert labels[0] == labels[14] == "walk"  # frames 0..14 (t < 0.5 s)
    assert labels[15] == labels[17] == "walk, wave"  # 0.5 <= t < 0.6: simultaneous actions
    assert labels[18] == labels[26] == "wave"
    assert labels[27] == labels[29] == "transition"
    assert walk.sequence_labels == ["walk and wave"]
    # A null frame_ann labels the whole sequence with its sequence label.
    assert seqs["7"].per_frame == ["stand"] * 6 and seqs["7"].segments[0].end_t == pytest.approx(0.2)


def test_crop_shifts_segments_and_frames(tmp_path):
    path = tmp_path / "val.json"
    path.write_text(json.dumps(BABEL))
    crop = read_babel(path)["12906"].crop(15, 27)
    assert crop.num_frames == 12 and crop.per_frame[0] == "walk, wave"
    assert [s.label for s in crop.segments] == ["walk", "wave"]
    assert crop.segments[0].start_t == 0.0 and crop.segments[0].end_t == pytest.approx(0.1)


def test_our_frame_label_files_round_trip(tmp_path):
    segs = [Segment("walk forward", 0.0, 40 / 30, ("walk",)), Segment("jump", 40 / 30, 70 / 30, ("jump",))]
    per = per_frame_labels(segs, 70)
    assert per[39] == "walk forward" and per[40] == "jump" and per.count("jump") == 30
    entry = make_entry("000003", segs, per, ["a person walks and then jumps"], sequence_categories=["jump", "walk"])
    (tmp_path / "000003.json").write_text(json.dumps(entry))
    back = read_frame_labels(tmp_path / "000003.json")
    assert back.per_frame == per
    assert [(s.label, s.frames()) for s in back.segments] == [("walk forward", (0, 40)), ("jump", (40, 70))]
    assert back.sequence_labels == ["a person walks and then jumps"]


def test_bad_babel_input_raises_input_error(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_babel(tmp_path / "bad.json")
    broken = {"1": {"dur": 1.0, "seq_ann": None, "frame_ann": {"labels": [{"proc_label": "walk"}]}}}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(InputError, match="start_t"):
        read_babel(tmp_path / "broken.json")
    with pytest.raises(InputError, match="no such file"):
        read_frame_labels(tmp_path / "missing.json")


def test_caption_lines_and_tokens():
    c = parse_caption_line("a person walks forward slowly and waves his left hand.#a/DET person/NOUN#1.5#4.0\n")
    assert c == Caption("a person walks forward slowly and waves his left hand.", ("a/DET", "person/NOUN"), 1.5, 4.0)
    assert c.frame_range(300) == (45, 120) and not c.whole_clip
    whole = parse_caption_line("someone jumps#someone/PRON jump/VERB#nan#nan")
    assert whole.whole_clip and whole.frame_range(50) == (0, 50)
    assert parse_caption_line("   ") is None
    assert tokenize("A person walks forward slowly and waves his left hand.") == [
        "a/DET", "person/NOUN", "walk/VERB", "forward/ADV", "slowly/ADV", "and/CCONJ", "wave/VERB", "his/DET",
        "left/ADJ", "hand/NOUN",
    ]  # fmt: skip
    assert tokenize("the man is running in a circle, then takes two steps") == [
        "the/DET", "man/NOUN", "is/AUX", "run/VERB", "in/ADP", "a/DET", "circle/NOUN", "then/ADV", "take/VERB",
        "two/NUM", "step/NOUN",
    ]  # fmt: skip
    line = Caption("a person jumps", tuple(tokenize("a person jumps"))).to_line()
    assert line == "a person jumps#a/DET person/NOUN jump/VERB#0.0#0.0"
