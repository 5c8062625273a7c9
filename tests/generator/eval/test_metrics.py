"""Metric math: FID, R-Precision, MM-Dist, Diversity, MultiModality, the replication driver and the table."""

from __future__ import annotations

import numpy as np
import pytest

from generator.eval import metrics


def _cloud(n=400, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d))


def test_fid_of_a_set_against_itself_is_zero_and_grows_with_noise():
    x = _cloud()
    assert metrics.fid(x, x) == pytest.approx(0.0, abs=1e-6)
    rng = np.random.default_rng(1)
    values = [metrics.fid(x, x + rng.normal(scale=s, size=x.shape)) for s in (0.1, 0.5, 1.0, 2.0)]
    assert values[0] > 0 and all(b > a for a, b in zip(values, values[1:]))


def test_fid_matches_the_closed_form_for_shifted_gaussians():
    x = np.random.default_rng(2).normal(size=(5000, 3))
    shift = np.array([1.0, 2.0, 0.0])
    assert metrics.fid(x, x + shift) == pytest.approx(5.0, rel=1e-6)


def test_r_precision_of_perfectly_matched_embeddings_is_one():
    x = _cloud(96)
    top = metrics.r_precision(x, x, batch_size=32, top_k=3)
    np.testing.assert_allclose(top, [1.0, 1.0, 1.0])
    assert metrics.mm_dist(x, x) == 0.0


def test_r_precision_of_unrelated_embeddings_is_near_chance_and_monotone():
    rng = np.random.default_rng(3)
    top = metrics.r_precision(rng.normal(size=(3200, 16)), rng.normal(size=(3200, 16)))
    assert np.all(np.diff(top) > 0)
    np.testing.assert_allclose(top, [1 / 32, 2 / 32, 3 / 32], atol=0.015)
    with pytest.raises(ValueError):
        metrics.r_precision(np.zeros((10, 4)), np.zeros((10, 4)))


def test_diversity_and_multimodality_measure_spread():
    rng = np.random.default_rng(4)
    tight, wide = rng.normal(scale=0.1, size=(500, 4)), rng.normal(scale=3.0, size=(500, 4))
    assert metrics.diversity(wide, 300, rng) > 10 * metrics.diversity(tight, 300, rng)
    same = np.repeat(rng.normal(size=(100, 1, 4)), 30, axis=1)
    assert metrics.multimodality(same, 10, rng) == 0.0
    spread = same + rng.normal(size=same.shape)
    # E|a - b| for two independent N(0, I_4) draws is 2 * Gamma(2.5) / Gamma(2) = 2.66 (pairs may coincide: 1/30)
    assert metrics.multimodality(spread, 10, rng) == pytest.approx(2.66 * 29 / 30, rel=0.1)


def test_replication_interval_shrinks_with_more_reps():
    def noisy(seed):
        return {"x": np.random.default_rng(seed).normal(5.0, 1.0)}

    few, many = metrics.replicate(noisy, reps=5, progress=False), metrics.replicate(noisy, reps=200, progress=False)
    assert many["x"].ci < few["x"].ci
    assert many["x"].mean == pytest.approx(5.0, abs=0.3)
    assert many["x"].ci == pytest.approx(1.96 / np.sqrt(200), rel=0.25)
    again = metrics.replicate(noisy, reps=5, progress=False)
    assert again == few  # deterministic for a fixed seed


def test_markdown_table_lists_rows_and_metrics_in_protocol_order():
    row = {"FID": metrics.Interval(0.5, 0.01), "R-Precision top-1": metrics.Interval(0.4, 0.002)}
    table = metrics.markdown_table({"Real": row, "Model": {"FID": metrics.Interval(1.0, 0.1)}})
    lines = table.strip().splitlines()
    assert lines[0] == "| | R-Precision top-1 | FID |"
    assert lines[2] == "| Real | 0.400 ± 0.002 | 0.500 ± 0.010 |"
    assert lines[3] == "| Model | - | 1.000 ± 0.100 |"
