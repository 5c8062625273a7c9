"""Training the masked autoregressive generator on autoencoder latents (optionally with ATM)."""

from __future__ import annotations

import copy
import math
import random
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from generator.data.dataset import MotionTextDataset
from generator.data.mirror import canonical_sides, mirror_caption
from generator.model.autoencoder import latent_state
from generator.model.checkpoint import load_autoencoder, load_train_state, save_checkpoint, save_train_state
from generator.model.config import GenConfig, from_dict, get_preset, to_dict
from generator.model.speed import SPEED_WORDS, latent_speeds, span_speed, speed_word
from generator.model.text_encoders import DiskTextCache, get_text_encoder
from generator.model.transformer import MoLingo
from generator.model.word_tags import pad_tags
from generator.motion import repr272
from generator.motion.errors import InputError
from generator.sampling.sampler import NULL_PROMPT
from generator.sampling.vocabulary import caption_vocabulary
from generator.training.arguments import apply_overrides
from generator.training.atm import molingo_atm_step
from generator.training.scaffold import log_step, loss_summary, lr_factor, optimizer_step, rng_state, set_rng_state


def encode_dataset(
    ae,
    data: str | Path,
    device: torch.device,
    progress: bool = True,
    mirror: bool = False,
    side_canonical: bool = False,
) -> list[tuple[torch.Tensor, list, torch.Tensor]]:
    """[(latents (L, d) on the CPU, [(caption, latent start, latent end)], root speed per latent (L,) in m/s)] per
    training clip.

    Entries (whole-clip captions and sub-clip captions) come from generator.data.dataset; each clip is encoded
    once, whole, and a sub-clip caption indexes the latents of its frame range. With `mirror`, every clip also
    appears mirrored (repr272.mirror) with its captions' side words swapped (generator.data.mirror). With
    `side_canonical` (implies `mirror`), a caption that names a side is kept once, on whichever of the clip and its
    mirror makes its first side word right / clockwise (generator.data.mirror.canonical_sides).
    """
    from tqdm import tqdm

    s = ae.down
    ds = MotionTextDataset(data, "train", max_length=10**9, min_length=s, unit_length=s, with_labels=False)
    spans: dict[str, list] = {}
    for e in ds.entries:
        if (e.end - e.start) // s >= 1:
            spans.setdefault(e.clip_id, []).extend((c.text, e.start // s, e.end // s) for c in e.captions)
    out = []
    ae = copy.deepcopy(ae).to(device)
    with torch.no_grad():
        for cid, caps in tqdm(sorted(spans.items()), desc="encoding motions", disable=not progress):
            feats = ds.layout.motion(cid)
            t = len(feats) // s * s
            if not np.isfinite(feats).all():
                raise InputError(f"{ds.layout.motion_path(cid)}: contains NaN or infinite values")
            x = repr272.normalize(torch.from_numpy(feats[:t]).to(device), ae.mean, ae.std)
            lat = ae.encode(x[None])[0].cpu()  # (t / s, d)
            speeds = torch.from_numpy(latent_speeds(feats[:t], s))  # a mirror image moves as fast
            spans_here = [(text, a, min(b, len(lat))) for text, a, b in caps if min(b, len(lat)) > a]
            if not (mirror or side_canonical):
                out.append((lat, spans_here, speeds))
                continue
            mx = repr272.normalize(repr272.mirror(torch.from_numpy(feats[:t])).to(device), ae.mean, ae.std)
            mlat = ae.encode(mx[None])[0].cpu()
            own, mirrored = [], []
            for text, a, b in spans_here:
                swapped = mirror_caption(text)
                if side_canonical and swapped != text:
                    canonical, flip = canonical_sides(text)
                    (mirrored if flip else own).append((canonical, a, b))
                else:
                    own.append((text, a, b))
                    mirrored.append((swapped, a, b))
            out += [(lat, own, speeds), (mlat, mirrored, speeds)]
    out = [item for item in out if item[1]]
    if not out:
        raise InputError(f"{data}: no training clip is long enough for the autoencoder's downsampling")
    return out


# rare attribute words the generator must read: a speed, a count (sides are in half the captions)
_ATTRIBUTE = re.compile(r"\b(?:slow|slowly|quick|quickly|fast|briskly|strolls?|leisurely|twice|thrice|\w+ times)\b")


def names_an_attribute(text: str) -> bool:
    """Whether a caption names a speed or a repetition count."""
    return _ATTRIBUTE.search(text.lower()) is not None


def span_pool(items, attribute_weight: float) -> tuple[list[tuple[int, int]], list[float]]:
    """Every (clip, caption) pair and cumulative weights: each clip equally likely, its captions equally likely
    within it, a caption that names an attribute `attribute_weight` times as likely."""
    pool, cum, total = [], [], 0.0
    for i, (_, caps, _) in enumerate(items):
        for j, (text, _, _) in enumerate(caps):
            total += (attribute_weight if names_an_attribute(text) else 1.0) / len(caps)
            pool.append((i, j))
            cum.append(total)
    return pool, cum


def sample_batch(
    items, batch: int, max_latents: int, cfg_drop: float, rng: random.Random, pool=None, speed_drop: float | None = None
):  # fmt: skip
    """Standardised latents (B, L, d) zero-padded, padding mask (B, L), the (possibly null) captions and the spans'
    speeds (B,) (generator.model.speed; NaN for a span that barely moves, a null caption, or with probability
    `speed_drop`; all NaN without it); with a `span_pool`, captions are drawn by its weights."""
    chosen, texts, speeds = [], [], []
    for _ in range(batch):
        if pool is None:
            lat, caps, spd = items[rng.randrange(len(items))]
            text, a, b = caps[rng.randrange(len(caps))]
        else:
            i, j = rng.choices(pool[0], cum_weights=pool[1])[0]
            lat, (text, a, b), spd = items[i][0], items[i][1][j], items[i][2]
        seg, spd = lat[a:b], spd[a:b]
        if len(seg) > max_latents:
            off = rng.randrange(len(seg) - max_latents + 1)
            seg, spd = seg[off : off + max_latents], spd[off : off + max_latents]
        chosen.append(seg)
        texts.append(NULL_PROMPT if rng.random() < cfg_drop else text)
        given = speed_drop is not None and texts[-1] != NULL_PROMPT and rng.random() >= speed_drop
        speeds.append(span_speed(spd) if given else float("nan"))
    n = max(len(s) for s in chosen)
    x = chosen[0].new_zeros(batch, n, chosen[0].shape[1])
    pad = torch.ones(batch, n, dtype=torch.bool, device=x.device)
    for i, s in enumerate(chosen):
        x[i, : len(s)] = s
        pad[i, : len(s)] = False
    return x, pad, texts, torch.tensor(speeds)


def speed_targets(items) -> torch.Tensor:
    """The mean measured speed of the spans whose caption names each of SPEED_WORDS (NaN for a word none names)."""
    found: dict[str, list[float]] = {w: [] for w in SPEED_WORDS}
    for _, caps, spd in items:
        for text, a, b in caps:
            word = speed_word(text)
            if word is not None and not math.isnan(v := span_speed(spd[a:b])):
                found[word].append(v)
    return torch.tensor([float(np.mean(found[w])) if found[w] else math.nan for w in SPEED_WORDS])


def configure(args) -> GenConfig:
    cfg = get_preset(args.preset).gen
    model = cfg.model if args.text_encoder is None else replace(cfg.model, text_encoder=args.text_encoder)
    cosine = getattr(args, "cosine", False) or None  # None: the preset's (constant)
    cfg = replace(cfg, model=model, training=apply_overrides(cfg.training, args, cosine=cosine))
    if not (0 <= args.atm <= 10):
        raise InputError(f"--atm must be in [0, 10], got {args.atm}")
    return cfg.validate()


def atm_loss_fn(args, device: torch.device):
    """The frozen ATM loss for --atm > 0 (None otherwise); the evaluator defaults to the shipped one."""
    if not args.atm:
        return None
    from generator.eval.evaluator import DEFAULT_EVALUATOR, load_evaluator
    from generator.training.atm import ATMLoss

    path = args.evaluator or DEFAULT_EVALUATOR
    if not (Path(path) / "evaluator.json").exists():
        raise InputError(f"--atm needs a trained evaluator; none in {path} (python -m generator.train_evaluator)")
    return ATMLoss(load_evaluator(path, device=str(device)))


def same_but_steps(cfg: GenConfig) -> GenConfig:
    """The config with its step count zeroed: a resumed run may train longer, nothing else may differ."""
    return replace(cfg, training=replace(cfg.training, steps=0))


def init_state(ae, cfg: GenConfig, path: str | Path) -> dict:
    """The weights (and latent statistics) of a generator checkpoint to fine-tune from. Its autoencoder's latent
    space (encoder and statistics; a decoder may have been tuned since) and its network (all but whether sides are
    canonical and whether it reads word tags, which a fine-tune may switch on) must be the ones this run uses; the
    training recipe may differ. Checked before any encoding."""
    from generator.model.checkpoint import load_generator

    init, init_ae, config = load_generator(path)
    theirs = from_dict(GenConfig, config["gen"]).model
    switchable = {"side_canonical": False, "word_tags": False, "speed_condition": False}
    if replace(theirs, **switchable) != replace(cfg.model, **switchable):
        raise InputError(f"--init {path}: that generator has a different network configuration")
    if theirs.word_tags and not cfg.model.word_tags:
        raise InputError(f"--init {path}: that generator reads word tags; fine-tune it with --word-tags")
    if theirs.speed_condition and not cfg.model.speed_condition:
        raise InputError(f"--init {path}: that generator reads a speed; fine-tune it with --speed-condition")
    theirs_ae, ours = latent_state(init_ae), latent_state(ae)
    if theirs_ae.keys() != ours.keys() or any(not torch.allclose(theirs_ae[k].float(), ours[k].float()) for k in ours):
        raise InputError(f"--init {path}: that generator was trained on other latents than --ae gives")
    return init.state_dict()


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p, 1.0 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


def train(args, cfg: GenConfig | None = None) -> dict:
    """Run training; returns {'first_loss', 'last_loss', 'steps'} (flow loss, mean of the first / last 10%) and,
    with --atm, 'last_atm' (the last step's unweighted ATM loss)."""
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    out = Path(args.out)
    weight = getattr(args, "attribute_weight", 1.0)
    if not 1.0 <= weight <= 100.0:  # also refuses NaN
        raise InputError(f"--attribute-weight must be in [1, 100], got {weight}")
    cfg = configure(args) if cfg is None else cfg.validate()
    if getattr(args, "side_canonical", False):
        cfg = replace(cfg, model=replace(cfg.model, side_canonical=True))
    if getattr(args, "word_tags", False):
        cfg = replace(cfg, model=replace(cfg.model, word_tags=True))
    if getattr(args, "speed_condition", False):
        cfg = replace(cfg, model=replace(cfg.model, speed_condition=True))
    train_cfg = cfg.training
    rng = random.Random(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed % 2**32)
    device = torch.device(args.device)
    ae = load_autoencoder(args.ae).requires_grad_(False)
    atm = atm_loss_fn(args, device)
    init = init_state(ae, cfg, args.init) if getattr(args, "init", None) else None
    items = encode_dataset(ae, args.data, device, progress=not args.quiet, mirror=getattr(args, "mirror", False),
                           side_canonical=cfg.model.side_canonical)  # fmt: skip
    all_lat = torch.cat([lat for lat, _, _ in items])  # (N, d)
    enc = get_text_encoder(cfg.model.text_encoder, cfg.model.max_text_tokens)
    captions = sorted({text for _, caps, _ in items for text, _, _ in caps} | {NULL_PROMPT})
    cache = DiskTextCache(out / f"text_cache_{Path(enc.name).name}.safetensors", enc, captions,
                          show_progress=not args.quiet)  # fmt: skip

    model = MoLingo(cfg, ae.cfg.latent_dim, ae.down, enc.dim)
    tags = {text: tag for text, tag in zip(captions, enc.word_tags(captions))} if cfg.model.word_tags else None
    if init is not None:
        missing, unexpected = model.load_state_dict(init, strict=False)
        new = {"word_tag.weight", "speed_targets"} | {k for k in missing if k.startswith("speed_embed.")}
        if unexpected or set(missing) - new:
            raise InputError(f"--init {args.init}: its weights do not fit this network ({missing or unexpected})")
    else:
        model.latent_mean.copy_(all_lat.mean(0))
        model.latent_std.copy_(all_lat.std(0).clamp(min=1e-4))
    speed_drop = train_cfg.speed_drop if cfg.model.speed_condition else None
    if cfg.model.speed_condition:
        model.speed_targets.copy_(speed_targets(items))
        if not args.quiet:
            print("speed targets (m/s): " + ", ".join(f"{w} {v:.3f}" for w, v in zip(SPEED_WORDS, model.speed_targets)))
    items = [(model.standardize(lat), caps, spd) for lat, caps, spd in items]
    model.to(device)
    items = [(lat.to(device), caps, spd) for lat, caps, spd in items]
    pool = span_pool(items, weight) if weight != 1.0 else None
    ema = copy.deepcopy(model).requires_grad_(False)
    decay_params = [p for n, p in model.named_parameters() if p.ndim >= 2]
    other_params = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay_params, "weight_decay": train_cfg.weight_decay},
         {"params": other_params, "weight_decay": 0.0}],
        lr=train_cfg.lr, betas=train_cfg.betas,
    )  # fmt: skip
    start = 0
    if args.resume:
        state = load_train_state(out)
        if same_but_steps(from_dict(GenConfig, state["config"])) != same_but_steps(cfg):
            raise InputError(f"{out}: the saved run used a different configuration; resume with the same flags")
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        set_rng_state(rng, state["rng"])
        start = state["step"]
    writer = SummaryWriter(str(out / "tb"))
    history: list[float] = []
    atm_history: list[float] = []

    def checkpoint(step: int) -> None:
        state = {"config": to_dict(cfg), "model": model.state_dict(), "ema": ema.state_dict(), "step": step}
        save_train_state(out, {**state, "optimizer": opt.state_dict(), "rng": rng_state(rng)})
        command = "python -m generator.train " + " ".join(sys.argv[1:])
        save_checkpoint(
            out,
            ae,
            copy.deepcopy(ema).cpu(),
            meta={
                "step": step,
                "preset": args.preset,
                "seed": args.seed,
                "command": command,
                "vocabulary": caption_vocabulary(captions),
            },  # fmt: skip
        )

    ae_on_device = copy.deepcopy(ae).to(device) if atm is not None else None
    model.train()
    steps = train_cfg.steps
    bar = tqdm(range(start, steps), desc="generator", disable=args.quiet, initial=start, total=steps)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = train_cfg.lr * lr_factor(step, train_cfg.warmup, train_cfg.steps, cosine=train_cfg.cosine)
        x1, pad, texts, speeds = sample_batch(
            items, train_cfg.batch_size, model.max_latents, train_cfg.cfg_drop, rng, pool, speed_drop
        )  # fmt: skip
        tokens, text_pad = cache.tokens(texts)
        text_tags = pad_tags([tags[t] for t in texts], text_pad.shape[1]).to(device) if tags is not None else None
        x1, pad, tokens, text_pad = x1.to(device), pad.to(device), tokens.to(device), text_pad.to(device)
        speeds = speeds.to(device) if speed_drop is not None else None
        losses = model.loss(x1, pad, tokens, text_pad, text_tags, speeds)
        if atm is not None:
            aligned = molingo_atm_step(atm, model, ae_on_device, x1, pad, tokens, text_pad, texts, text_tags)
            losses.update(atm_inter=aligned["inter"], atm_intra=aligned["intra"])
            losses["total"] = losses["total"] + args.atm * aligned["total"]
            atm_history.append(float(aligned["total"].detach()))
        optimizer_step(opt, model, losses["total"], train_cfg.grad_clip)
        ema_update(ema, model, min(train_cfg.ema, (1 + step) / (10 + step)))  # EMA warm-up for short runs
        history.append(float(losses["flow"].detach()))
        bar.set_postfix(flow=f"{history[-1]:.4f}")
        log_step(writer, "gen", losses, step, args.save_every, train_cfg.steps, checkpoint)
    checkpoint(train_cfg.steps)
    writer.close()
    result = loss_summary(history, train_cfg.steps)
    if atm_history:
        result["last_atm"] = atm_history[-1]
    print(f"generator saved to {out} (flow loss {result['first_loss']:.4f} -> {result['last_loss']:.4f})")
    return result
