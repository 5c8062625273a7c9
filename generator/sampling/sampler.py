"""Masked autoregressive sampling with a stochastic rectified-flow inner loop, CFG, and motion completion.

Outer loop (K steps): all unknown latents start masked, a random reveal order is drawn once per sample; after step
k, round(cos(pi/2 * (k+1)/K) * n) unknown latents are still masked. Each step runs the transformer once for the
whole batch and samples only the latents revealed at that step (the others would be re-masked anyway).
Inner loop (N flow steps, t_i = i/N, t = 1 clean), the "noise refresh" sampler, with gamma = `refresh`:
    v      = v_u + s (v_c - v_u) + a (v_c - v_p)    (classifier-free guidance; attribute guidance: v_p from the
                                                     prompt without its modifier words, generator.sampling.modifiers)
    x1_hat = x + (1 - t_i) v                        (clean estimate)
    x0_hat = x - t_i v                              (noise estimate)
    x0_new = sqrt(1 - gamma^2) x0_hat + gamma eps   (fresh N(0, I) noise; not on the last step)
    x      = t_{i+1} x1_hat + (1 - t_{i+1}) x0_new
gamma = 0 is exactly Euler integration of the ODE; gamma > 0 keeps x on the marginal t x1 + (1 - t) N(0, I) while
refreshing part of its noise, which keeps samples diverse. The text is encoded once per call (LRU-cached);
`reference_mode` re-encodes it every outer step and runs the CFG halves separately, like the released code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from generator.data.mirror import canonical_sides
from generator.model.autoencoder import MotionAutoencoder
from generator.model.config import FPS, GenConfig
from generator.model.speed import SPEED_WORDS, speed_word
from generator.model.text_encoders import TextEncoder, pad_tokens
from generator.model.transformer import MoLingo
from generator.model.word_tags import pad_tags
from generator.motion import repr272
from generator.motion.errors import InputError
from generator.motion.rotations import matrix_to_6d, sixd_to_matrix, yaw_matrix
from generator.sampling.cleanup import postprocess
from generator.sampling.modifiers import has_modifiers, strip_modifiers
from generator.sampling.prompt import canonical_prompt

NULL_PROMPT = ""  # the fixed null prompt of classifier-free guidance (also used in training)


@dataclass
class SampleOptions:
    outer_steps: int = 16
    flow_steps: int = 32
    cfg_scale: float = 4.0
    attribute_scale: float = 0.0  # a: how far to push away from the prompt without its side/speed/count words
    refresh: float = 0.3
    seed: int = 0
    postprocess: bool = (
        True  # generator.sampling.cleanup: smoothing, grounding, stance feet pinned (False: raw decoder output)
    )


@dataclass
class Completion:
    """Known frames to keep: the first `prefix` and the last `suffix` frames of `features` (T, 272, un-normalised)."""

    features: np.ndarray
    prefix: int
    suffix: int = 0


class Sampler:
    """Text -> 272-D features with a trained MoLingo model, its autoencoder and its frozen text encoder."""

    def __init__(self, model: MoLingo, ae: MotionAutoencoder, text_encoder: TextEncoder, canonical: bool = True):
        self.model, self.ae, self.text_encoder = model.eval(), ae.eval(), text_encoder
        self.down = ae.down
        self.canonical = canonical  # read prompts in the captions' style (generator.sampling.prompt) before encoding

    # ---- text -------------------------------------------------------------------------------------------------
    def _text(self, prompts: list[str], with_null: bool, cached: bool = True, plain: bool = False):
        """Adapted text for prompts [+ as many null prompts] [+ the prompts without their modifier words]:
        w (B', Lt, W), pad (B', Lt)."""
        if self.canonical:
            prompts = [canonical_prompt(p) for p in prompts]
        texts = prompts + [NULL_PROMPT] * len(prompts) if with_null else list(prompts)
        if plain:
            texts += [strip_modifiers(p) for p in prompts]
        embs = self.text_encoder.encode_list(texts) if cached else self.text_encoder.encode_uncached(texts)
        tokens, pad = pad_tokens(embs)
        tags = pad_tags(self.text_encoder.word_tags(texts), pad.shape[1]) if self.model.cfg.model.word_tags else None
        return self.model.encode_text(tokens, pad, tags), pad

    def predict_frames(self, prompts: list[str], generator: torch.Generator) -> list[int]:
        """Motion lengths (frames) drawn from the length head's distribution, within [min_frames, max_frames]."""
        w, pad = self._text(prompts, with_null=False)
        logits = self.model.length_logits(w, pad)  # (B, max_latents)
        lo = max(1, math.ceil(self.model.cfg.model.min_frames / self.down))
        logits[:, : lo - 1] = -float("inf")
        n = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)[:, 0] + 1
        return [int(k) * self.down for k in n]

    def prompt_speeds(self, prompts: list[str]) -> torch.Tensor | None:
        """The speed (m/s) each prompt's speed word asks for (generator.model.speed), NaN where it names none; None
        for a model without the speed condition."""
        if not self.model.cfg.model.speed_condition:
            return None
        nan = torch.tensor(float("nan"))
        words = [speed_word(p) for p in prompts]
        return torch.stack([self.model.speed_targets[SPEED_WORDS.index(w)] if w else nan for w in words]).float()

    # ---- latents ----------------------------------------------------------------------------------------------
    def _flow(
        self, z_c: torch.Tensor, z_u: torch.Tensor | None, opts: SampleOptions, gen: torch.Generator, sep: bool,
        z_p: torch.Tensor | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """Sample N latents (N, d) from conditions z_c (N, W) [and z_u for CFG] [and z_p, the plain prompt's, for
        attribute guidance] with the noise-refresh sampler."""
        z = [zk for zk in (z_c, z_u, z_p) if zk is not None]
        flow, n = self.model.flow, z_c.shape[0]
        x = torch.randn(n, self.model.latent_dim, generator=gen)
        steps = opts.flow_steps
        keep = math.sqrt(1.0 - opts.refresh**2)
        times = torch.arange(steps, dtype=torch.float32) / steps
        if not sep:  # the condition's z part is the same at every flow step; the time part is the same for every token
            t_emb = flow.time_embed(times)  # (steps, F)
            zc = flow.z_in(torch.cat(z))  # (kN, F)
        for i in range(steps):
            t0, t1 = i / steps, (i + 1) / steps
            if sep:  # reference mode: no caching, one pass per condition
                tt = torch.full((n,), t0)
                vs = [flow(x, tt, zk) for zk in z]
            else:
                vs = list(flow.forward_cond(x.repeat(len(z), 1), zc + t_emb[i]).chunk(len(z)))
            v = self._guided(vs, opts, z_u is not None, z_p is not None)
            x1_hat, x0_hat = x + (1 - t0) * v, x - t0 * v
            if i < steps - 1 and opts.refresh > 0:
                x0_hat = keep * x0_hat + opts.refresh * torch.randn(x.shape, generator=gen)
            x = t1 * x1_hat + (1 - t1) * x0_hat
        return x

    @staticmethod
    def _guided(vs: list[torch.Tensor], opts: SampleOptions, cfg: bool, plain: bool) -> torch.Tensor:
        """v = v_u + s (v_c - v_u) + a (v_c - v_p) from vs = [v_c, v_u if cfg, v_p if plain]."""
        v = v_c = vs[0]
        if cfg:
            v = vs[1] + opts.cfg_scale * (v_c - vs[1])
        if plain:
            v = v + opts.attribute_scale * (v_c - vs[-1])
        return v

    @torch.no_grad()
    def sample_latents(
        self,
        prompts: list[str],
        n_latents: list[int],
        opts: SampleOptions,
        known: torch.Tensor | None = None,
        known_mask: torch.Tensor | None = None,
        reference_mode: bool = False,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Standardised latents (B, L, d), L = max(n_latents); `known` (B, L, d) at `known_mask` (B, L) are kept."""
        b, n = len(prompts), max(n_latents)
        gen = generator if generator is not None else torch.Generator().manual_seed(opts.seed)
        cfg = opts.cfg_scale != 1.0
        plain = opts.attribute_scale != 0.0 and any(map(has_modifiers, prompts))
        pad = torch.arange(n)[None, :] >= torch.tensor(n_latents)[:, None]  # (B, L)
        x = torch.zeros(b, n, self.model.latent_dim)
        revealed = torch.zeros(b, n, dtype=torch.bool)
        if known is not None:
            revealed = known_mask & ~pad
            x = torch.where(revealed[..., None], known, x)
        # one random reveal order per sample: known latents first, padding last
        scores = torch.rand(b, n, generator=gen).masked_fill(revealed, -1.0).masked_fill(pad, float("inf"))
        rank = scores.argsort(1).argsort(1)  # (B, L)
        n_known = revealed.sum(1)
        n_unknown = (~pad).sum(1) - n_known
        k_cond = 1 + cfg + plain  # conditions per latent: the prompt, the null prompt, the plain prompt
        speed = self.prompt_speeds(prompts)  # (B,) the prompt's; the null and plain prompts get none
        if speed is not None:
            speed = torch.cat([speed, torch.full(((k_cond - 1) * b,), float("nan"))])
        if not reference_mode:
            w, text_pad = self._text(prompts, with_null=cfg, plain=plain)  # (kB, Lt, W)
        for k in range(opts.outer_steps):
            still = torch.round(math.cos(math.pi / 2 * (k + 1) / opts.outer_steps) * n_unknown.double()).long()
            still = still.clamp(min=1) if k < opts.outer_steps - 1 else torch.zeros_like(still)
            new = (rank < (n_known + n_unknown - still)[:, None]) & ~revealed & ~pad  # (B, L)
            if not new.any():
                continue
            masked = ~revealed
            if reference_mode:
                z = self._reference_conditions(prompts, x, masked, pad, cfg, plain, speed)
            else:
                rep = [t.repeat(k_cond, *([1] * (t.dim() - 1))) for t in (x, masked, pad)]
                z = self.model(*rep, w, text_pad, speed).chunk(k_cond)  # k_cond x (B, L, W)
            z_c, z_u, z_p = z[0][new], z[1][new] if cfg else None, z[-1][new] if plain else None
            sampled = self._flow(z_c, z_u, opts, gen, reference_mode, z_p)
            x[new] = sampled
            revealed |= new
        return x

    def _reference_conditions(
        self, prompts, x, masked, pad, cfg: bool, plain: bool, speed: torch.Tensor | None = None
    ) -> list[torch.Tensor]:  # fmt: skip
        """The released code's path: encode the text again (no cache) and run each condition's pass apart."""
        b = len(prompts)
        w, p = self._text(prompts, with_null=False, cached=False, plain=plain)  # prompts [+ plain prompts]
        out = [self.model(x, masked, pad, w[:b], p[:b], None if speed is None else speed[:b])]
        if cfg:
            w_u, p_u = self._text([NULL_PROMPT] * b, with_null=False, cached=False)
            out.append(self.model(x, masked, pad, w_u, p_u))
        if plain:
            out.append(self.model(x, masked, pad, w[b:], p[b:]))
        return out

    # ---- features ---------------------------------------------------------------------------------------------
    def _normalize(self, features: np.ndarray) -> torch.Tensor:
        return repr272.normalize(torch.as_tensor(features, dtype=torch.float32), self.ae.mean, self.ae.std)

    @torch.no_grad()
    def _known_latents(self, comp: Completion, n_frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Standardised latents (L, d) of the known segments and their mask (L,); segments are encoded separately."""
        s, n = self.down, n_frames // self.down
        lat = torch.zeros(n, self.model.latent_dim)
        mask = torch.zeros(n, dtype=torch.bool)
        p = comp.prefix // s * s
        if p:
            lat[: p // s] = self.ae.encode(self._normalize(comp.features[:p])[None])[0]
            mask[: p // s] = True
        if comp.suffix:
            start = n_frames - comp.suffix // s * s
            lat[start // s :] = self.ae.encode(self._normalize(comp.features[start:n_frames])[None])[0]
            mask[start // s :] = True
        return self.model.standardize(lat), mask

    @torch.no_grad()
    def generate(
        self,
        prompts: list[str],
        frames: list[int] | None,
        opts: SampleOptions,
        completion: Completion | list[Completion] | None = None,
        reference_mode: bool = False,
    ) -> list[np.ndarray]:
        """Un-normalised 272-D features [(T_b, 272)] for each prompt; lengths from `frames` or the length head.

        `completion`: one Completion for every prompt, or one per prompt (a batch of different motions to complete);
        without `frames`, each motion is as long as its completion's features.
        """
        gen = torch.Generator().manual_seed(opts.seed)
        comps = None
        if completion is not None:
            comps = completion if isinstance(completion, list) else [completion] * len(prompts)
            if len(comps) != len(prompts):
                raise InputError(f"{len(comps)} completions for {len(prompts)} prompts")
        flipped = [False] * len(prompts)
        if self.model.cfg.model.side_canonical:  # left-first prompts: generate the mirror image, mirror it back
            prompts, flipped = (list(x) for x in zip(*(canonical_sides(p) for p in prompts)))
        if comps is not None:
            frames = [c.features.shape[0] for c in comps] if frames is None else list(frames)
            frames = frames * len(prompts) if len(frames) == 1 else frames
        elif frames is None:
            frames = self.predict_frames(prompts, gen)
        frames = [f // self.down * self.down for f in frames]
        if min(frames) < self.down or max(frames) > self.model.cfg.model.max_frames:
            raise InputError(
                f"motion length must be between {self.down} and {self.model.cfg.model.max_frames} frames "
                f"({self.model.cfg.model.max_frames / FPS:g} s at {FPS} fps)"
            )
        n_latents = [f // self.down for f in frames]
        known = known_mask = None
        if comps is not None:
            known = torch.zeros(len(prompts), max(n_latents), self.model.latent_dim)
            known_mask = torch.zeros(len(prompts), max(n_latents), dtype=torch.bool)
            encoded: dict[tuple[int, int, bool], tuple[torch.Tensor, torch.Tensor]] = {}
            for i, (c, f, flip) in enumerate(zip(comps, frames, flipped)):
                if c.prefix + c.suffix >= f:
                    raise InputError(f"the known frames cover the whole {f}-frame motion; nothing to generate")
                if (id(c), f, flip) not in encoded:  # one shared Completion is encoded once (per side)
                    seen = replace(c, features=repr272.mirror(c.features)) if flip else c
                    encoded[id(c), f, flip] = self._known_latents(seen, f)
                lat, mask = encoded[id(c), f, flip]
                known[i, : len(lat)], known_mask[i, : len(mask)] = lat, mask
        z = self.sample_latents(prompts, n_latents, opts, known, known_mask, reference_mode, gen)
        x = self.ae.decode(self.model.unstandardize(z))  # (B, L * s, D) normalised
        feats = repr272.denormalize(x, self.ae.mean, self.ae.std).numpy()
        out = [feats[i, : frames[i]].astype(np.float32) for i in range(len(prompts))]
        out = [repr272.mirror(f) if flip else f for f, flip in zip(out, flipped)]
        if opts.postprocess:
            out = [postprocess(f, FPS) for f in out]
        if comps is not None:
            out = [paste_known(f, c) for f, c in zip(out, comps)]
        return out


def _headings(features: np.ndarray) -> np.ndarray:
    """Accumulated heading angle (T,) from the heading-change block [2:8] (same convention as repr272)."""
    return repr272.heading_angles(np.asarray(features, np.float64))


def paste_known(generated: np.ndarray, comp: Completion) -> np.ndarray:
    """Put the known frames back; for a suffix, bend the generated middle's heading and root path so the suffix
    lands exactly where it was given (the error is spread evenly over the middle frames)."""
    out = generated.copy()
    given = comp.features
    t = out.shape[0]
    p = comp.prefix
    out[:p] = given[:p]
    if not comp.suffix:
        return out
    e = t - comp.suffix
    out[e:] = given[e:t]
    # heading: spread the accumulated-heading error at frame e over the heading changes of the middle frames
    lo = max(p, 1)
    m = e - lo  # middle frames lo .. e-1 absorb the errors
    if m < 1:
        return out
    dg = math.remainder(_headings(given[:t])[e] - _headings(out)[e], 2 * math.pi)
    rel = _headings_delta(out)
    rel[lo:e] += dg / m
    out[lo:e, 2:8] = matrix_to_6d(yaw_matrix(torch.as_tensor(rel[lo:e]))).numpy()
    # root: the world-frame steps of the middle frames share the root position error at frame e
    want = repr272.decode_joints(given[:t].astype(np.float64))[e, 0, [0, 2]]
    have = repr272.decode_joints(out.astype(np.float64))[e, 0, [0, 2]]
    g = _headings(out)
    steps = _world_steps(out, g)  # (T, 2)
    steps[lo:e] += (want - have) / m
    out[lo:e, 0:2] = _local_steps(steps, g)[lo:e]
    return out


def _headings_delta(features: np.ndarray) -> np.ndarray:
    rel = sixd_to_matrix(torch.as_tensor(features[:, 2:8], dtype=torch.float64))
    return torch.atan2(rel[:, 0, 2], rel[:, 0, 0]).numpy()


def _world_steps(features: np.ndarray, g: np.ndarray) -> np.ndarray:
    """World x/z root steps (T, 2): step[t] = R_y(g[t-1])^T (vx, 0, vz)."""
    v = np.zeros((features.shape[0], 3))
    v[:, 0], v[:, 2] = features[:, 0], features[:, 1]
    r = yaw_matrix(np.concatenate([[0.0], g[:-1]]))  # (T, 3, 3)
    return np.einsum("tji,tj->ti", r, v)[:, [0, 2]]


def _local_steps(steps: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Inverse of _world_steps: (vx, vz)[t] = [R_y(g[t-1]) step[t]]_{x,z}."""
    v = np.zeros((steps.shape[0], 3))
    v[:, 0], v[:, 2] = steps[:, 0], steps[:, 1]
    r = yaw_matrix(np.concatenate([[0.0], g[:-1]]))
    return np.einsum("tij,tj->ti", r, v)[:, [0, 2]]


TRAIN_HINT = (
    "build data and train it first: python -m generator.data build --out data/procedural --num 20000 && "
    "python -m generator.train_ae --data data/procedural --out out/ae && "
    "python -m generator.train --data data/procedural --ae out/ae --out generator/checkpoints"
)


def load_sampler(ckpt: str | Path, text_encoder: str | None = None) -> tuple[Sampler, dict]:
    """(Sampler, config) for a checkpoint directory with its own text encoder (or `text_encoder`); a clear
    InputError when the checkpoint is missing or the encoder does not fit it."""
    from generator.model.checkpoint import load_generator
    from generator.model.text_encoders import get_text_encoder

    ckpt = Path(ckpt)
    if not (ckpt / "config.json").exists():
        raise InputError(f"no generator checkpoint in {ckpt}; {TRAIN_HINT}")
    model, ae, config = load_generator(ckpt)
    name = text_encoder or model.cfg.model.text_encoder
    encoder = get_text_encoder(name, model.cfg.model.max_text_tokens)
    if encoder.dim != model.text_in.in_features:
        raise InputError(
            f"text encoder {name!r} gives {encoder.dim}-d tokens but the checkpoint was trained on "
            f"{model.cfg.model.text_encoder!r} ({model.text_in.in_features}-d)"
        )
    return Sampler(model, ae, encoder), config


def sample_options(cfg: GenConfig, seed: int, **overrides) -> SampleOptions:
    """SampleOptions from a generator config's sampling defaults, with overrides (None keeps the default)."""
    d = cfg.sampling
    opts = {"outer_steps": d.outer_steps, "flow_steps": d.flow_steps, "cfg_scale": d.cfg_scale,
            "attribute_scale": d.attribute_scale, "refresh": d.noise_refresh}  # fmt: skip
    opts.update({k: v for k, v in overrides.items() if v is not None})
    return SampleOptions(seed=seed, **opts)
