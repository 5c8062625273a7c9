"""Score building blocks: the support-polygon margin and the reference's feasibility by inverse dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from retarget import robot
from retarget.robot_motion import RobotMotion
from sim.demo import parse_primitives
from sim.scene import build_scene
from sim.scores import reference_feasibility, support_margin

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.5]])


@pytest.mark.parametrize(
    "com, expect",
    [((0.5, 0.5), 0.5), ((0.9, 0.5), 0.1), ((1.5, 0.5), -0.5), ((2.0, 2.0), -np.sqrt(2.0))],
)
def test_support_margin_square(com, expect):
    assert support_margin(SQUARE, np.array(com)) == pytest.approx(expect)


def test_support_margin_degenerate_hulls():
    assert np.isnan(support_margin(np.zeros((0, 2)), np.zeros(2)))
    assert support_margin(np.array([[0.0, 0.0]]), np.array([0.3, 0.4])) == pytest.approx(-0.5)
    line = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    assert support_margin(line, np.array([1.0, 0.2])) == pytest.approx(-0.2)


def test_feasibility_standing_vs_floating():
    scene = build_scene()
    standing = RobotMotion.from_qpos(np.tile(robot.default_qpos(), (6, 1)))
    ok = reference_feasibility(scene, standing)
    assert ok["residual_force_n"]["max"] < 1e-3 * scene.weight
    floating_q = np.tile(robot.default_qpos(), (6, 1))
    floating_q[:, 2] += 0.5  # hovering half a metre up: only an external force could hold it
    bad = reference_feasibility(scene, RobotMotion.from_qpos(floating_q))
    assert bad["residual_force_over_weight"]["mean"] == pytest.approx(1.0, abs=0.01)
    assert bad["share_frames_over_10pct_weight"] == 1.0


def test_stand_in_text_parsing():
    assert parse_primitives("walk then wave") == ["walk", "wave"]
    assert parse_primitives("A person walks backward, then jumps and waves.") == ["walk_backward", "jump", "wave"]
