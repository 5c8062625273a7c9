"""Residual joint-position actions: PD targets = the reference joint positions the robot should reach after this
step + scale * action, so a zero action already replays the reference (the policy learns only the correction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mjlab.envs.mdp.actions import JointPositionAction, JointPositionActionCfg

if TYPE_CHECKING:
    import torch
    from mjlab.envs import ManagerBasedRlEnv


@dataclass(kw_only=True)
class ResidualJointPositionActionCfg(JointPositionActionCfg):
    """Joint position targets offset by the motion command's reference joint positions."""

    command_name: str = "motion"

    def build(self, env: ManagerBasedRlEnv) -> ResidualJointPositionAction:
        return ResidualJointPositionAction(self, env)


class ResidualJointPositionAction(JointPositionAction):
    """mjlab's joint position action with the offset read from the reference every step."""

    cfg: ResidualJointPositionActionCfg

    def process_actions(self, actions: torch.Tensor) -> None:
        command = self._env.command_manager.get_term(self.cfg.command_name)
        self._offset = command.joint_pos[:, self._target_ids]
        super().process_actions(actions)
