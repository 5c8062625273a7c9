"""PHC-style universal motion-tracking controller for the Unitree G1 (mjlab / MuJoCo Warp, rsl-rl PPO).

Importing this package does not import mjlab; the training env lives in `controller.env_cfg` and `controller.mdp`,
the deployable policy (classic MuJoCo only) in `controller.deploy`.
"""
