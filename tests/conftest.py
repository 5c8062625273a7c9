"""Shared fixtures: the golden reference clip (read from ../shared when present) and small synthetic motions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")

GOLDEN = Path(__file__).resolve().parents[1].parent / "shared" / "golden" / "272"


@pytest.fixture(scope="session")
def golden():
    """The reference 272-D clip, its joints and SMPL input; skipped cleanly where ../shared is absent."""
    if not (GOLDEN / "features_000000.npy").exists():
        pytest.skip("golden 272-D data not present (../shared/golden/272)")
    return {
        "features": np.load(GOLDEN / "features_000000.npy"),
        "features_mirror": np.load(GOLDEN / "features_M000000.npy"),
        "joints": np.load(GOLDEN / "joints55_000000.npy")[:, :22].astype(np.float64),
        "smpl": np.load(GOLDEN / "smpl85_000000.npy").astype(np.float64),
    }


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module: tiny models run fastest and reproducibly so on a 2-core CPU."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
