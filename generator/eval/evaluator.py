"""TMR-style text-motion evaluator for 272-D motion (the MS-272 kind): shared embedding space for metrics and ATM.

Motion and text each go through an ACTOR-style transformer encoder (two learned distribution tokens, mean and
log-variance, prepended; sinusoidal positions; padding mask); the embedding is the mean token. A transformer decoder
reconstructs the motion from a latent, as in TMR. Text tokens come from a frozen pretrained encoder (MiniLM by
default, offline; DistilBERT or T5 by name or path when the user has the weights).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from generator.data.mirror import mirror_caption
from generator.model.text_encoders import MINILM, TextEncoder, get_text_encoder
from generator.model.weights import fp16_state, load_json, load_weights, save_weights
from generator.motion import repr272
from generator.motion.errors import InputError

WEIGHTS_FILE = "evaluator.safetensors"
CONFIG_FILE = "evaluator.json"

DEFAULT_EVALUATOR = Path(__file__).resolve().parents[1] / "checkpoints" / "evaluator"  # the shipped one, once trained


@dataclass(frozen=True)
class EvaluatorConfig:
    """Sizes and loss weights; `ms272` is MotionStreamer's MS-272 evaluator, `tiny` is for CPU tests."""

    text_encoder: str = MINILM  # or "distilbert" (MS-272's choice), a T5 name, or a local model directory
    latent_dim: int = 256
    layers: int = 4
    heads: int = 4
    ff_dim: int = 1024
    dropout: float = 0.1
    max_text_tokens: int = 64
    vae: bool = True
    weight_recons: float = 1.0
    weight_kl: float = 1e-5
    weight_latent: float = 1e-5
    weight_contrastive: float = 0.1
    temperature: float = 0.1
    negative_filter: float = 0.85  # mask negatives whose caption similarity lies in (filter, 1)
    side_negatives: bool = False  # each caption's side-swapped twin ("left" <-> "right") is a hard negative
    patch: int = 1  # motion frames per transformer token (1 = TMR; 4 makes a CPU-trainable evaluator)
    text_dim: int | None = None  # filled from the text encoder when built


PRESETS: dict[str, EvaluatorConfig] = {
    "ms272": EvaluatorConfig(),
    "cpu": EvaluatorConfig(layers=2, patch=4),  # the shipped one: MS-272 widths, 2 layers, 4-frame tokens
    "tiny": EvaluatorConfig(latent_dim=32, layers=1, heads=2, ff_dim=64, dropout=0.0),
}


# ----------------------------------------------------------------------------------------------- text side
DISTILBERT = "distilbert-base-uncased"


def resolve_text_encoder(name: str) -> str:
    """'distilbert' -> the local Hugging Face cache directory of distilbert-base-uncased (never downloads);
    other names go to generator.model.text_encoders unchanged."""
    if name.lower() not in ("distilbert", DISTILBERT):
        return name
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(DISTILBERT, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise InputError(
            f"text encoder {name!r}: {DISTILBERT} is not on this machine; download it once "
            f"(`huggingface-cli download {DISTILBERT}`) or pass a local directory"
        ) from None


def caption_tokens(encoder: TextEncoder, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen token embeddings (B, L, C) and a validity mask (B, L) (True = real token)."""
    tokens, pad = encoder.encode(list(texts))
    return tokens, ~pad


def caption_similarity_embeddings(encoder: TextEncoder, texts: list[str]) -> torch.Tensor:
    """Unit-norm mean-pooled sentence embeddings (B, C): the caption similarity of the negative filter and ATM."""
    return F.normalize(encoder.encode_pooled(list(texts)), dim=-1)


# ----------------------------------------------------------------------------------------------- model
def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed sinusoidal position table (length, dim) of "Attention is all you need"."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)[:, : dim // 2]
    return table


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool mask, True on valid frames."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None] < lengths[:, None]


class DistributionEncoder(nn.Module):
    """ACTOR-style encoder: project, prepend learned mean/log-variance tokens, transformer, read those two tokens."""

    def __init__(self, in_dim: int, cfg: EvaluatorConfig):
        super().__init__()
        self.proj = nn.Linear(in_dim, cfg.latent_dim)
        self.dist_tokens = nn.Parameter(torch.randn(2 if cfg.vae else 1, cfg.latent_dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            cfg.latent_dim, cfg.heads, cfg.ff_dim, cfg.dropout, activation="gelu", batch_first=True
        )  # fmt: skip
        self.transformer = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, in_dim), mask (B, T) True = valid -> distribution tokens (B, 1 or 2, latent_dim)."""
        b, t, _ = x.shape
        n = self.dist_tokens.shape[0]
        h = torch.cat([self.dist_tokens[None].expand(b, -1, -1), self.proj(x)], dim=1)
        h = h + sinusoidal_positions(t + n, h.shape[-1]).to(h)
        full_mask = torch.cat([torch.ones(b, n, dtype=torch.bool, device=mask.device), mask], dim=1)
        out = self.transformer(h, src_key_padding_mask=~full_mask)
        return out[:, :n]


class MotionDecoder(nn.Module):
    """ACTOR-style decoder: sinusoidal time queries cross-attend to the latent; Linear to out_dim per token."""

    def __init__(self, out_dim: int, cfg: EvaluatorConfig):
        super().__init__()
        layer = nn.TransformerDecoderLayer(
            cfg.latent_dim, cfg.heads, cfg.ff_dim, cfg.dropout, activation="gelu", batch_first=True
        )  # fmt: skip
        self.transformer = nn.TransformerDecoder(layer, cfg.layers)
        self.out = nn.Linear(cfg.latent_dim, out_dim)

    def forward(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t = mask.shape
        queries = sinusoidal_positions(t, z.shape[-1]).to(z)[None].expand(b, -1, -1)
        h = self.transformer(queries, z[:, None], tgt_key_padding_mask=~mask)
        return self.out(h) * mask[..., None]


@dataclass
class EvaluatorOutputs:
    """Everything one training forward pass produces (for losses and logging)."""

    losses: dict[str, torch.Tensor] = field(default_factory=dict)
    text_emb: torch.Tensor | None = None
    motion_emb: torch.Tensor | None = None


class TMREvaluator(nn.Module):
    """Text and motion encoders into a shared 256-d space, plus a motion decoder for the reconstruction losses."""

    def __init__(self, cfg: EvaluatorConfig, text_dim: int, mean: np.ndarray | None = None, std=None):
        super().__init__()
        self.cfg = replace(cfg, text_dim=text_dim)
        self.motion_encoder = DistributionEncoder(repr272.DIM * cfg.patch, cfg)
        self.text_encoder = DistributionEncoder(text_dim, cfg)
        self.decoder = MotionDecoder(repr272.DIM * cfg.patch, cfg)
        mean = np.zeros(repr272.DIM, np.float32) if mean is None else mean
        std = np.ones(repr272.DIM, np.float32) if std is None else std
        self.register_buffer("mean", torch.as_tensor(np.asarray(mean, np.float32)))
        self.register_buffer("std", torch.as_tensor(np.asarray(std, np.float32)))
        self._text: TextEncoder | None = None

    # ---- frozen text side
    @property
    def text_model(self) -> TextEncoder:
        """The frozen text encoder named in the config (loaded once per process)."""
        if self._text is None:
            self._text = get_text_encoder(resolve_text_encoder(self.cfg.text_encoder), self.cfg.max_text_tokens)
            if self._text.dim != self.cfg.text_dim:
                raise InputError(f"text encoder '{self.cfg.text_encoder}' gives {self._text.dim}-d tokens, "
                                 f"the evaluator expects {self.cfg.text_dim}")  # fmt: skip
        return self._text

    # ---- distributions and embeddings
    def _sample(self, dist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        mu = dist[:, 0]
        if not self.cfg.vae:
            return mu, mu, None
        logvar = dist[:, 1]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return z, mu, logvar

    def patchify(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 272) frames + (B, T) mask -> (B, ceil(T / p), p * 272) tokens + token mask (any frame valid)."""
        p = self.cfg.patch
        b, t, c = x.shape
        extra = -t % p
        x, mask = F.pad(x * mask[..., None], (0, 0, 0, extra)), F.pad(mask, (0, extra))
        return x.reshape(b, -1, p * c), mask.reshape(b, -1, p).any(-1)

    def decode(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Latent (B, D) + frame mask (B, T) -> reconstructed normalised frames (B, T, 272), zero where invalid."""
        b, t = mask.shape
        _, token_mask = self.patchify(mask[..., None].float(), mask)
        out = self.decoder(z, token_mask).reshape(b, -1, repr272.DIM)[:, :t]
        return out * mask[..., None]

    def motion_distribution(self, features_norm: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Normalised features (B, T, 272) + lengths -> (B, 2, D) mean / log-variance tokens."""
        return self.motion_encoder(*self.patchify(features_norm, lengths_to_mask(lengths, features_norm.shape[1])))

    def text_distribution(self, tokens: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
        return self.text_encoder(tokens, token_mask)

    def embed_motion(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Un-normalised 272-D features (B, T, 272), lengths (B,) -> (B, D) embeddings; differentiable (for ATM)."""
        norm = (features - self.mean) / self.std
        return self.motion_distribution(norm, lengths)[:, 0]

    def embed_text(self, texts: list[str]) -> torch.Tensor:
        """Captions -> (B, D) embeddings."""
        tokens, mask = caption_tokens(self.text_model, texts)
        return self.text_distribution(tokens.to(self.mean), mask.to(self.mean.device))[:, 0]

    @torch.no_grad()
    def embed_motions(self, motions: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """A list of un-normalised (T_i, 272) arrays -> (N, D) float64 numpy embeddings (eval mode)."""
        out = []
        for start in range(0, len(motions), batch_size):
            chunk = motions[start : start + batch_size]
            feats, lengths = pad_motions(chunk)
            out.append(self.embed_motion(feats.to(self.mean), lengths.to(self.mean.device)).double().cpu().numpy())
        return np.concatenate(out, 0) if out else np.zeros((0, self.cfg.latent_dim))

    @torch.no_grad()
    def embed_texts(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Captions -> (N, D) float64 numpy embeddings (eval mode)."""
        texts = list(texts)
        out = [
            self.embed_text(texts[s : s + batch_size]).double().cpu().numpy() for s in range(0, len(texts), batch_size)
        ]
        return np.concatenate(out, 0) if out else np.zeros((0, self.cfg.latent_dim))

    # ---- training losses
    def losses(self, features_norm: torch.Tensor, lengths: torch.Tensor, texts: list[str]) -> EvaluatorOutputs:
        """TMR losses on a batch of normalised motions and one caption each; `total` is the weighted sum."""
        cfg = self.cfg
        mask = lengths_to_mask(lengths, features_norm.shape[1])
        tokens, tmask = caption_tokens(self.text_model, texts)
        sentence = caption_similarity_embeddings(self.text_model, texts).to(features_norm)
        t_z, t_mu, t_logvar = self._sample(self.text_distribution(tokens.to(features_norm), tmask))
        m_z, m_mu, m_logvar = self._sample(self.motion_distribution(features_norm, lengths))
        t_motion = self.decode(t_z, mask)
        m_motion = self.decode(m_z, mask)
        n_valid = mask.sum() * features_norm.shape[-1]
        target = features_norm * mask[..., None]

        def recons(pred):
            return F.smooth_l1_loss(pred, target, reduction="sum") / n_valid

        losses = {"recons": recons(t_motion) + recons(m_motion)}
        if cfg.vae:
            losses["kl"] = (
                _kl(t_mu, t_logvar, m_mu, m_logvar) + _kl(m_mu, m_logvar, t_mu, t_logvar)
                + _kl(t_mu, t_logvar, None, None) + _kl(m_mu, m_logvar, None, None)
            )  # fmt: skip
        losses["latent"] = F.smooth_l1_loss(t_z, m_z)
        hard = None
        if cfg.side_negatives:
            swapped = [mirror_caption(t) for t in texts]
            keep = [i for i, (t, w) in enumerate(zip(texts, swapped, strict=True)) if w != t]
            if keep:
                w_tokens, w_mask = caption_tokens(self.text_model, [swapped[i] for i in keep])
                hard = HardNegatives(
                    self.text_distribution(w_tokens.to(features_norm), w_mask)[:, 0],
                    torch.tensor([[swapped[i] == t for t in texts] for i in keep], device=features_norm.device),
                )
        losses["contrastive"] = info_nce(t_mu, m_mu, sentence, cfg.temperature, cfg.negative_filter, hard)
        losses["total"] = (
            cfg.weight_recons * losses["recons"] + cfg.weight_kl * losses.get("kl", 0.0)
            + cfg.weight_latent * losses["latent"] + cfg.weight_contrastive * losses["contrastive"]
        )  # fmt: skip
        return EvaluatorOutputs(losses=losses, text_emb=t_mu, motion_emb=m_mu)


def _kl(mu, logvar, mu_ref, logvar_ref) -> torch.Tensor:
    """KL(N(mu, var) || N(mu_ref, var_ref)) averaged over the batch and dims; None reference = N(0, I)."""
    if mu_ref is None:
        mu_ref, logvar_ref = torch.zeros_like(mu), torch.zeros_like(logvar)
    kl = 0.5 * (logvar_ref - logvar + (logvar.exp() + (mu - mu_ref) ** 2) / logvar_ref.exp() - 1.0)
    return kl.mean()


@dataclass
class HardNegatives:
    """Extra captions that no motion of the batch matches (side-swapped twins): their text embeddings (H, D) and
    which batch captions each one equals word for word (H, B), those pairs being positives, not negatives."""

    text_emb: torch.Tensor
    equals: torch.Tensor


def info_nce(
    text_emb: torch.Tensor, motion_emb: torch.Tensor, sentence_emb: torch.Tensor | None,
    temperature: float = 0.1, negative_filter: float = 0.85, hard: HardNegatives | None = None,
) -> torch.Tensor:  # fmt: skip
    """Symmetric InfoNCE on L2-normalised embeddings; negatives with caption cosine in (filter, 1) are masked.
    `hard` captions join every motion's candidate texts (motion -> text direction) unmasked by the cosine filter,
    since a side-swapped twin is by construction close in wording, except against the motions they describe."""
    sim = F.normalize(text_emb, dim=-1) @ F.normalize(motion_emb, dim=-1).T / temperature
    if sentence_emb is not None:
        caption_sim = sentence_emb @ sentence_emb.T
        drop = caption_sim > negative_filter
        drop.fill_diagonal_(False)
        sim = sim.masked_fill(drop, float("-inf"))
    labels = torch.arange(sim.shape[0], device=sim.device)
    motion_to_text = sim.T
    if hard is not None:
        extra = F.normalize(motion_emb, dim=-1) @ F.normalize(hard.text_emb, dim=-1).T / temperature  # (B, H)
        motion_to_text = torch.cat([motion_to_text, extra.masked_fill(hard.equals.T, float("-inf"))], dim=1)
    return 0.5 * (F.cross_entropy(sim, labels) + F.cross_entropy(motion_to_text, labels))


def pad_motions(motions: list[np.ndarray | torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """List of (T_i, 272) -> zero-padded (B, T_max, 272) float32 tensor and (B,) lengths."""
    lengths = torch.tensor([int(m.shape[0]) for m in motions], dtype=torch.long)
    out = torch.zeros(len(motions), int(lengths.max()), repr272.DIM)
    for i, m in enumerate(motions):
        out[i, : m.shape[0]] = torch.as_tensor(np.asarray(m, np.float32) if isinstance(m, np.ndarray) else m)
    return out, lengths


# ----------------------------------------------------------------------------------------------- files
def save_evaluator(model: TMREvaluator, out_dir: str | Path, extra: dict | None = None) -> Path:
    """Write `evaluator.safetensors` (fp16 weights, fp32 normalisation stats) and `evaluator.json`, atomically."""
    out_dir = Path(out_dir)
    meta = {"config": asdict(model.cfg), **(extra or {})}
    save_weights(out_dir / WEIGHTS_FILE, fp16_state(model.state_dict()), out_dir / CONFIG_FILE, meta)
    return out_dir


def load_evaluator(path: str | Path, device: str = "cpu") -> TMREvaluator:
    """Load an evaluator directory (or its .safetensors / .json file) in eval mode; bad files raise InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such evaluator (a directory with {CONFIG_FILE} and {WEIGHTS_FILE})")
    folder = path if path.is_dir() else path.parent
    cfg_path, w_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    for p in (cfg_path, w_path):
        if not p.exists():
            raise InputError(f"{p}: no such file (an evaluator needs {CONFIG_FILE} and {WEIGHTS_FILE})")
    meta = load_json(cfg_path, "evaluator config")
    try:
        cfg = EvaluatorConfig(**meta["config"])
    except (KeyError, TypeError) as e:
        raise InputError(f"{folder}: unreadable evaluator ({type(e).__name__}: {e})") from None
    state = load_weights(w_path, "evaluator weights")
    model = TMREvaluator(cfg, text_dim=int(cfg.text_dim or 0))
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()})
    except RuntimeError as e:
        raise InputError(f"{w_path}: weights do not match the config ({str(e).splitlines()[0]})") from None
    return model.to(device).eval()


# ----------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class MotionTexts:
    """One evaluation / training item: a (sub-)clip's un-normalised features and every caption describing it."""

    name: str
    features: np.ndarray  # (T, 272)
    captions: tuple[str, ...]

    @property
    def num_frames(self) -> int:
        return int(self.features.shape[0])


def load_motion_texts(
    root: str | Path, split: str, min_frames: int = 60, max_frames: int | None = 300, crop_long: bool = False
) -> list[MotionTexts]:
    """Items of a HumanML3D-272 directory's split: captions grouped per described sub-clip (HumanML3D's rule).

    Kept: min_frames <= T < max_frames (the test protocol: 60 <= T < 300); with crop_long, longer clips are kept,
    cut to max_frames - 1 frames (for training). Missing / unreadable captions raise InputError.
    """
    from generator.data.layout import HumanML3D272

    data = HumanML3D272(root)
    items = []
    for clip_id in data.ids(split):
        features = data.motion(clip_id)
        if not np.isfinite(features).all():
            raise InputError(f"{data.motion_path(clip_id)}: contains NaN or infinite values")
        groups: dict[tuple[int, int], list[str]] = {}
        for cap in data.captions(clip_id):
            groups.setdefault(cap.frame_range(len(features)), []).append(cap.text)
        for (start, end), caps in groups.items():
            sub = features[start:end]
            if max_frames is not None and len(sub) >= max_frames:
                if not crop_long:
                    continue
                sub = sub[: max_frames - 1]
            if len(sub) < min_frames:
                continue
            name = clip_id if (start, end) == (0, len(features)) else f"{clip_id}#{start}-{end}"
            items.append(MotionTexts(name, np.ascontiguousarray(sub, dtype=np.float32), tuple(caps)))
    if not items:
        raise InputError(f"{root}: no '{split}' clip with {min_frames} <= frames < {max_frames} and a caption")
    return items


def dataset_stats(root: str | Path, items: list[MotionTexts]) -> tuple[np.ndarray, np.ndarray]:
    """The directory's mean_std/ statistics when present, else computed from the items (group-averaged std)."""
    from generator.data.layout import STATS_DIR, HumanML3D272

    if (Path(root) / STATS_DIR / "Mean.npy").exists():
        return HumanML3D272(root).stats()
    return repr272.compute_stats([it.features for it in items])
