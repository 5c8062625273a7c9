"""A frame-level action classifier over 272-D motion and the order-correct test built on it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from generator.eval.metrics import Interval, replicate
from generator.model.weights import fp16_state, load_json, load_weights, save_weights
from generator.motion import repr272
from generator.motion.configs import choose_preset
from generator.motion.errors import InputError
from generator.sampling.prompt import prompt_parts

WEIGHTS_FILE = "action_classifier.safetensors"
CONFIG_FILE = "action_classifier.json"
IGNORE = -100
NON_ACTIONS = frozenset({"", "transition"})  # frame labels that name no action (the procedural library's blends)


@dataclass(frozen=True)
class ClassifierConfig:
    """Network and training sizes; `default` for shipping, `tiny` for CPU tests."""

    input_dim: int = repr272.DIM  # per-frame features: 272-D human motion, or the robot recogniser's features
    hidden: int = 128
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    kernel: int = 5
    dropout: float = 0.1
    batch_size: int = 16
    crop_frames: int = 240
    lr: float = 1e-3
    min_label_frames: int = 30  # labels with fewer training frames are ignored
    min_segment_frames: int = 10  # shorter predicted runs are merged into their neighbours


CLASSIFIER_PRESETS = {
    "default": ClassifierConfig(),
    "tiny": ClassifierConfig(hidden=48, dilations=(1, 2, 4), batch_size=12, crop_frames=150, lr=3e-3),
}


class TemporalConvNet(nn.Module):
    """Conv1d(input_dim -> hidden), dilated residual conv blocks (GELU), Conv1d(hidden -> classes) per frame."""

    def __init__(self, num_classes: int, cfg: ClassifierConfig):
        super().__init__()
        self.inp = nn.Conv1d(cfg.input_dim, cfg.hidden, 1)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.GELU(),
                nn.Conv1d(
                    cfg.hidden,
                    cfg.hidden,
                    cfg.kernel,
                    dilation=d,
                    padding=d * (cfg.kernel - 1) // 2,
                    padding_mode="replicate",
                ),
                nn.GELU(),
                nn.Dropout(cfg.dropout),
                nn.Conv1d(cfg.hidden, cfg.hidden, 1),
            )  # fmt: skip
            for d in cfg.dilations
        )
        self.out = nn.Conv1d(cfg.hidden, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, input_dim) normalised -> (B, T, classes) logits."""
        h = self.inp(x.transpose(1, 2))
        for block in self.blocks:
            h = h + block(h)
        return self.out(F.gelu(h)).transpose(1, 2)


class ActionClassifier(nn.Module):
    """The conv net plus its label vocabulary and normalisation statistics."""

    def __init__(self, labels: list[str], cfg: ClassifierConfig, mean=None, std=None):
        super().__init__()
        self.labels, self.cfg = list(labels), cfg
        self.net = TemporalConvNet(len(labels), cfg)
        self.register_buffer("mean", torch.as_tensor(np.zeros(cfg.input_dim) if mean is None else mean).float())
        self.register_buffer("std", torch.as_tensor(np.ones(cfg.input_dim) if std is None else std).float())

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.mean) / self.std)

    @torch.no_grad()
    def predict_frames(self, features: np.ndarray) -> list[str]:
        """Un-normalised (T, input_dim) -> the predicted label of every frame."""
        self.eval()
        logits = self(torch.as_tensor(np.asarray(features, np.float32))[None])[0]
        return [self.labels[i] for i in logits.argmax(-1).tolist()]

    def action_sequence(self, features: np.ndarray) -> list[str]:
        """The order of actions in a motion: smoothed runs of predicted frame labels."""
        return segment_order(self.predict_frames(features), self.cfg.min_segment_frames)


def primary_label(frame_label: str) -> str:
    """The frame's class: the first of simultaneous actions (BABEL joins them with ', ', the procedural library
    writes a layered arms action as 'base+arms')."""
    return frame_label.split(", ")[0].split("+")[0].strip()


def segment_order(frame_labels: list[str], min_frames: int = 1) -> list[str]:
    """Run-length order of frame labels: runs shorter than min_frames are dropped, non-actions skipped, repeats
    merged."""
    runs: list[list] = []
    for lab in frame_labels:
        if runs and runs[-1][0] == lab:
            runs[-1][1] += 1
        else:
            runs.append([lab, 1])
    order: list[str] = []
    for lab, n in runs:
        if n >= min_frames and lab not in NON_ACTIONS and (not order or order[-1] != lab):
            order.append(lab)
    return order


def in_order(sequence: list[str], requested: list[str]) -> bool:
    """True when `requested` is a subsequence of `sequence` (other actions may come in between)."""
    it = iter(sequence)
    return all(any(s == r for s in it) for r in requested)


def _stem_words(text: str) -> str:
    """' word word ' with punctuation removed and a plural / third-person 's' dropped ('walks' -> 'walk')."""
    words = re.sub(r"[^a-z ]", " ", text.lower()).split()
    return " " + " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words) + " "


def parse_actions(prompt: str, labels: list[str]) -> list[str]:
    """Requested actions of 'A then B [then C]' in order: each part's longest vocabulary label found in its words."""
    parts = prompt_parts(prompt)
    names = {lab: _stem_words(lab.replace("_", " ")) for lab in labels if lab not in NON_ACTIONS}
    actions = []
    for part in parts:
        words = _stem_words(part)
        hits = [lab for lab, name in names.items() if name in words]
        if not hits:
            known = ", ".join(names)
            raise InputError(f"prompt part {part.strip()!r} names no action the classifier knows ({known})")
        actions.append(max(hits, key=len))
    return actions


@dataclass
class LabelledClip:
    name: str
    features: np.ndarray  # (T, 272)
    frame_labels: list[str]  # primary label per frame ('' = none)
    caption: str = ""


def load_labelled_clips(root: str | Path, split: str) -> list[LabelledClip]:
    """Clips of a HumanML3D-272 directory that have frame labels (frame_labels/<id>.json)."""
    from generator.data.layout import HumanML3D272

    data = HumanML3D272(root)
    clips = []
    for cid in data.ids(split):
        feats = data.motion(cid)
        labels = data.frame_labels(cid, num_frames=len(feats))
        if labels is None:
            continue
        caps = data.captions(cid)
        clips.append(LabelledClip(cid, feats, [primary_label(x) for x in labels.per_frame],
                                  caps[0].text if caps else ""))  # fmt: skip
    if not clips:
        raise InputError(f"{root}: no '{split}' clip has frame labels ({root}/frame_labels/<id>.json)")
    return clips


def label_vocabulary(clips: list[LabelledClip], min_frames: int) -> list[str]:
    """Labels with at least min_frames training frames, most frequent first (ties by name)."""
    counts: dict[str, int] = {}
    for c in clips:
        for lab in c.frame_labels:
            if lab:
                counts[lab] = counts.get(lab, 0) + 1
    return sorted((k for k, n in counts.items() if n >= min_frames), key=lambda k: (-counts[k], k))


def fit_classifier(
    features: list[np.ndarray], frame_labels: list[list[str]], labels: list[str], cfg: ClassifierConfig,
    mean: np.ndarray, std: np.ndarray, steps: int, rng: np.random.Generator, progress: bool = True,
) -> tuple[ActionClassifier, float]:  # fmt: skip
    """(model, last loss): fit a frame classifier on random crops (AdamW, cosine schedule); frames whose label is
    not in `labels` are ignored. Shared by the human-motion classifier and the robot-side recogniser."""
    index = {lab: i for i, lab in enumerate(labels)}
    targets = [np.array([index.get(lab, IGNORE) for lab in fl]) for fl in frame_labels]
    model = ActionClassifier(labels, cfg, mean, std)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    loss_value = float("nan")
    for _ in tqdm(range(steps), desc="action classifier", disable=not progress):
        model.train()
        pick = rng.choice(len(features), size=min(cfg.batch_size, len(features)), replace=False)
        length = min(cfg.crop_frames, min(features[i].shape[0] for i in pick))
        xs, ys = [], []
        for i in pick:
            s = int(rng.integers(0, features[i].shape[0] - length + 1))
            xs.append(features[i][s : s + length])
            ys.append(targets[i][s : s + length])
        logits = model(torch.as_tensor(np.stack(xs), dtype=torch.float32))
        loss = F.cross_entropy(logits.reshape(-1, len(labels)), torch.as_tensor(np.stack(ys)).reshape(-1),
                               ignore_index=IGNORE)  # fmt: skip
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        loss_value = float(loss.detach())
    return model.eval(), loss_value


def train_classifier(
    data: str | Path, out: str | Path, steps: int, seed: int = 0, preset: str = "default", progress: bool = True
) -> dict[str, float]:
    """Train on the train split's frame labels; writes the classifier and returns loss and val frame accuracy."""
    cfg = choose_preset(CLASSIFIER_PRESETS, preset, "action classifier")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    clips = load_labelled_clips(data, "train")
    labels = label_vocabulary(clips, cfg.min_label_frames)
    if len(labels) < 2:
        raise InputError(f"{data}: frame labels name {len(labels)} action(s); a classifier needs at least 2")
    mean, std = repr272.compute_stats([c.features for c in clips])
    features, frame_labels = [c.features for c in clips], [c.frame_labels for c in clips]
    model, loss_value = fit_classifier(features, frame_labels, labels, cfg, mean, std, steps, rng, progress)
    save_classifier(model, out, extra={"steps": steps, "seed": seed, "data": str(data), "preset": preset})
    result = {"loss": loss_value}
    try:
        result["val_frame_accuracy"] = frame_accuracy(model, load_labelled_clips(data, "val"))
    except InputError:
        pass
    return result


def frame_accuracy(model: ActionClassifier, clips: list[LabelledClip]) -> float:
    """Fraction of labelled frames (labels in the vocabulary) predicted correctly."""
    hit = total = 0
    for c in clips:
        pred = model.predict_frames(c.features)
        for p, t in zip(pred, c.frame_labels):
            if t in model.labels:
                hit += p == t
                total += 1
    return hit / max(total, 1)


def save_classifier(model: ActionClassifier, out: str | Path, extra: dict | None = None) -> Path:
    """fp16 weights (fp32 statistics) + JSON config with the label vocabulary, each written atomically."""
    out = Path(out)
    meta = {"labels": model.labels, "config": asdict(model.cfg), **(extra or {})}
    save_weights(out / WEIGHTS_FILE, fp16_state(model.state_dict()), out / CONFIG_FILE, meta)
    return out


def load_classifier(path: str | Path) -> ActionClassifier:
    """Load a classifier directory; missing or corrupt files raise InputError."""
    path = Path(path)
    if not (path / CONFIG_FILE).is_file() or not (path / WEIGHTS_FILE).is_file():
        raise InputError(f"{path}: no action classifier there (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    meta = load_json(path / CONFIG_FILE, "action classifier config")
    state = load_weights(path / WEIGHTS_FILE, "action classifier weights")
    try:
        cfg = ClassifierConfig(**{**meta["config"], "dilations": tuple(meta["config"]["dilations"])})
        model = ActionClassifier(meta["labels"], cfg)
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except Exception as e:  # JSON, safetensors and state-dict errors all mean an unusable classifier
        raise InputError(
            f"{path}: unreadable action classifier ({type(e).__name__}: {str(e).splitlines()[0]})"
        ) from None
    return model.eval()


@dataclass(frozen=True)
class OrderPrompt:
    """A compositional prompt, the actions it requests in order, and the length to generate."""

    text: str
    actions: tuple[str, ...]
    frames: int


def order_prompts_from_data(clf: ActionClassifier, root: str | Path, split: str = "test") -> list[OrderPrompt]:
    """Held-out prompts: clips of `split` whose real frame labels hold >= 2 known actions in sequence."""
    prompts = []
    for c in load_labelled_clips(root, split):
        order = [a for a in segment_order(c.frame_labels, clf.cfg.min_segment_frames) if a in clf.labels]
        if len(order) >= 2 and c.caption:
            prompts.append(OrderPrompt(c.caption, tuple(order), c.features.shape[0]))
    return prompts


def held_out_order_prompts(
    clf: ActionClassifier, root: str | Path, split: str = "test", actions: int | None = None, limit: int = 0,
    seed: int = 0,
) -> list[OrderPrompt]:  # fmt: skip
    """order_prompts_from_data [with exactly `actions` actions] [a seeded subset of `limit`]; InputError if none."""
    prompts = [p for p in order_prompts_from_data(clf, root, split) if actions is None or len(p.actions) == actions]
    if not prompts:
        raise InputError(f"{root}: no '{split}' clip with {actions or 'two or more'} labelled actions in sequence")
    if 0 < limit < len(prompts):
        prompts = [prompts[i] for i in sorted(np.random.default_rng(seed).choice(len(prompts), limit, replace=False))]
    return prompts


def order_correct_rate(
    clf: ActionClassifier, prompts: list[OrderPrompt], motions: list[np.ndarray]
) -> tuple[float, list[bool]]:
    """Fraction of motions whose classified action sequence contains the prompt's actions in order."""
    ok = [in_order(clf.action_sequence(m), list(p.actions)) for p, m in zip(prompts, motions)]
    return float(np.mean(ok)) if ok else float("nan"), ok


def order_correct_rows(
    clf: ActionClassifier, generate: Callable[[list[str], list[int], int], list[np.ndarray]] | None,
    root: str | Path, split: str = "test", reps: int = 20, seed: int = 0, prompts: list[OrderPrompt] | None = None,
) -> dict[str, dict[str, Interval]]:  # fmt: skip
    """Order-correct rate of the real held-out clips (the classifier's ceiling) and of a generator over reps."""
    prompts = prompts if prompts is not None else held_out_order_prompts(clf, root, split)
    real_by_caption = {c.caption: c.features for c in load_labelled_clips(root, split)}
    real_rate, _ = order_correct_rate(clf, prompts, [real_by_caption[p.text] for p in prompts])
    rows = {"Real motions": {"Order-correct rate": Interval(real_rate, 0.0, 1)}}
    if generate is not None:
        texts, frames = [p.text for p in prompts], [p.frames for p in prompts]
        rows["Generated"] = replicate(
            lambda s: {"Order-correct rate": order_correct_rate(clf, prompts, generate(texts, frames, s))[0]},
            reps, seed, desc="order-correct",
        )  # fmt: skip
    return rows
