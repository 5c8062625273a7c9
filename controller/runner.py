"""The training runner: mjlab's rsl-rl on-policy runner, saving atomically with the deployment metadata and the
hard-negative sampler's state, and built from our typed PPO config through mjlab's typed rsl-rl configs."""

from __future__ import annotations

import os
from dataclasses import asdict

import torch
from mjlab.rl import MjlabOnPolicyRunner, RslRlModelCfg, RslRlOnPolicyRunnerCfg, RslRlPpoAlgorithmCfg

from controller.config import PpoCfg
from generator.motion.errors import InputError


def runner_cfg(ppo: PpoCfg, iterations: int, save_interval: int, seed: int) -> dict:
    """rsl-rl OnPolicyRunner config dict: mjlab's PPO defaults with `ppo.algorithm`'s settings replaced."""
    try:
        algorithm = RslRlPpoAlgorithmCfg(**dict(ppo.algorithm))
    except TypeError as e:
        raise InputError(f"PpoCfg.algorithm: {e}") from None
    cfg = RslRlOnPolicyRunnerCfg(
        seed=seed,
        num_steps_per_env=ppo.num_steps_per_env,
        max_iterations=iterations,
        save_interval=save_interval,
        experiment_name="g1_universal_tracking",
        logger="tensorboard",
        upload_model=False,
        actor=RslRlModelCfg(
            hidden_dims=tuple(ppo.hidden_dims),
            activation=ppo.activation,
            obs_normalization=True,
            distribution_cfg={"class_name": "GaussianDistribution", "init_std": ppo.init_std, "std_type": "scalar"},
        ),
        critic=RslRlModelCfg(hidden_dims=tuple(ppo.hidden_dims), activation=ppo.activation, obs_normalization=True),
        algorithm=algorithm,
    )
    return asdict(cfg)


class TrackingRunner(MjlabOnPolicyRunner):
    """Saves `model_N.pt` atomically with the deployment metadata, the motion library's statistics and the
    sampler's per-bin failure and exposure estimates (so that a resumed run keeps its hard negatives)."""

    def __init__(self, env, train_cfg: dict, log_dir: str | None, device: str, metadata: dict):
        super().__init__(env, train_cfg, log_dir, device)
        self.metadata = metadata

    def save(self, path: str, infos: dict | None = None) -> None:
        cmd = self.env.unwrapped.command_manager.get_term("motion")
        infos = {
            **(infos or {}),
            "env_state": {"common_step_counter": self.env.unwrapped.common_step_counter},
            "controller": {**self.metadata, "motion_stats": cmd.library.stats()},
            "sampler": cmd.library.sampler_state(),
        }
        saved = self.alg.save()
        saved["iter"] = self.current_learning_iteration
        saved["infos"] = infos
        self.save_checkpoint(saved, path)

    @staticmethod
    def save_checkpoint(checkpoint: dict, path: str | os.PathLike) -> None:
        """Write a checkpoint dict atomically (a temporary file renamed over `path`)."""
        tmp = f"{path}.tmp{os.getpid()}"
        torch.save(checkpoint, tmp)
        os.replace(tmp, path)
