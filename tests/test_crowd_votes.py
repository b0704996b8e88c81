"""Training and scoring against FER+'s crowd votes (issue 27), on real FER2013 faces: a few
hundred files copied out of the shared archive into the Kaggle layout, so their names are the
votes file's keys. Skipped, with the reason, without ../shared/datasets."""

import json
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from emotion.inference.classifier import EmotionClassifier
from emotion.labels import EMOTIONS
from emotion.training.crowd_metrics import crowd_score
from emotion.training.data import load_fer2013
from emotion.training.votes import NO_MAJORITY, CrowdVotes, read_votes, votes_for
from helpers import ROOT, SHARED

pytestmark = pytest.mark.slow  # end to end: real videos, servers, training runs or the shared data

VOTES = SHARED / "datasets" / "ferplus-votes.csv"
PER_SPLIT = {"Training": 210, "PublicTest": 70, "PrivateTest": 70}


@pytest.fixture(scope="module")
def votes_file(fer_archive):
    if not VOTES.exists():
        pytest.skip(f"FER+ votes file not found at {VOTES} (the shared datasets folder is absent)")
    return VOTES


@pytest.fixture(scope="module")
def small_fer(votes_file, fer_archive, tmp_path_factory):
    """The first faces of each split of the real archive, written out with their own paths."""
    root = tmp_path_factory.mktemp("ferplus") / "fer"
    taken = dict.fromkeys(PER_SPLIT, 0)
    with tarfile.open(fer_archive) as tar:
        for member in tar:
            split = member.name.rsplit("/", 1)[-1].split("_")[0]
            if member.isfile() and taken.get(split, 10**9) < PER_SPLIT[split]:
                taken[split] += 1
                out = root / member.name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(member).read())
            if taken == PER_SPLIT:
                break
    return root


def run(module, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_majority_rule_keeps_a_clear_winner_among_our_classes_only():
    columns = np.array([
        [6, 1, 0, 0, 3, 0, 0, 0, 0, 0],  # neutral 6 > anger 3: neutral
        [4, 0, 0, 0, 4, 0, 0, 0, 2, 0],  # tie: none
        [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt wins: not one of ours
        [3, 0, 0, 0, 0, 0, 0, 0, 0, 5],  # not-a-face ahead: none
        [0, 1, 0, 0, 0, 5, 2, 0, 0, 2],  # disgust
    ], np.int16)
    votes = CrowdVotes(columns)
    assert votes.majority().tolist() == [EMOTIONS.index("neutral"), NO_MAJORITY, NO_MAJORITY, NO_MAJORITY,
                                         EMOTIONS.index("disgust")]
    shares = votes.distribution()
    assert shares[0, EMOTIONS.index("neutral")] == pytest.approx(6 / 10)
    assert shares[2].sum() == 0  # contempt votes are dropped, not moved
    assert votes.trainable.tolist() == [True, True, False, False, True]
    majority = votes.targets("majority", smoothing=0.1)
    assert majority[1].sum() == 0 and majority[0].argmax() == EMOTIONS.index("neutral")


def test_every_face_of_the_shared_archive_finds_its_votes(votes_file, fer_archive):
    splits = load_fer2013(fer_archive)
    table = read_votes(votes_file)
    private = votes_for(splits.test.keys, table)
    # the count: 3,349 PrivateTest faces have a clear majority among our seven classes
    assert int((private.majority() >= 0).sum()) == 3349
    # a perfect crowd model scores 100% against the majority, and the original labels about two faces in three
    score = crowd_score("PrivateTest", private.distribution(), private, splits.test.labels)
    assert score.majority_accuracy == 1.0
    assert 0.6 < float((splits.test.labels == private.majority())[private.majority() >= 0].mean()) < 0.7


def test_training_on_soft_vote_targets_writes_every_artefact_and_the_result_loads_back(small_fer, votes_file, tmp_path):
    out = tmp_path / "crowd"
    trained = run("emotion.commands.train_members", "--data", small_fer, "--device", "cpu", "--members", "tiny:1", "--votes",
                  votes_file, "--targets", "soft", "--budget", 40, "--views", 2, "--prefix", "c", "--out", out, "--quiet")
    assert trained.returncode == 0, trained.stdout[-2000:] + trained.stderr[-2000:]
    assert "crowd votes: training on" in trained.stdout
    card = json.loads((out / "c-tiny-s0.fit.json").read_text())
    assert card["targets"] == "targets-soft.npy" and not card["distilled"]
    targets = np.load(out / ".work" / "targets-soft.npy")
    # faces without votes for our classes (FER+'s not-a-face images) are left out of training
    trainable = votes_for(load_fer2013(small_fer).train.keys, read_votes(votes_file)).trainable
    assert targets.shape == (int(trainable.sum()), 7) and trainable.sum() < PER_SPLIT["Training"]
    assert np.allclose(targets.sum(1), 1.0, atol=1e-5)  # vote shares, not one-hot labels
    assert len(np.unique(targets.max(1))) > 3
    for suffix in (".pt", ".history.csv", ".fit.json"):
        assert (out / f"c-tiny-s0{suffix}").stat().st_size > 0

    merged = run("emotion.commands.ensemble", out / "c-tiny-s0.pt", "--views", "both", "--out", out / "crowd.tflite",
                 "--data", small_fer, "--votes", votes_file)
    assert merged.returncode == 0, merged.stdout[-2000:] + merged.stderr[-2000:]
    metrics = json.loads((out / "crowd.metrics.json").read_text())
    assert metrics["calibrated_to"] == "crowd shares"
    assert {"PublicTest", "PrivateTest", "PrivateTest (tflite)"} <= set(metrics["crowd"])
    for png in ("crowd.confusion_matrix.png", "crowd.reliability.png"):
        assert (out / png).stat().st_size > 10_000
    faces = load_fer2013(small_fer).test.images[..., None].astype(np.float32)
    probs = EmotionClassifier.from_path(out / "crowd.tflite").predict(faces)
    assert probs.shape == (PER_SPLIT["PrivateTest"], 7) and np.allclose(probs.sum(1), 1, atol=1e-4)

    evaluated = run("emotion.commands.evaluate", "--data", small_fer, "--model", out / "crowd.tflite", "--no-speed",
                    "--votes", votes_file)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    for split in ("PublicTest", "PrivateTest"):
        assert f"{split}: FER+ majority accuracy" in evaluated.stdout
    assert "recall of the crowd's class: angry" in evaluated.stdout
    assert "ECE vs vote shares" in evaluated.stdout
