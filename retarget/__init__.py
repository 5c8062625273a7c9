"""Retargeting SMPL-22 human motion to the Unitree G1 (29 DoF).

robot (G1 description, kinematics), robot_motion (the mjlab-format robot motion file), scaling (calibration,
SMPL y-up -> robot z-up targets), contacts (human foot contacts, stance-foot locking), ik (mink IK),
postprocess (clamping, smoothing, resampling, grounding), metrics, pipeline (retarget_motion), export (GMR pickle,
CSV), preview (video), batch; `python -m retarget --help` for the command line.
"""
