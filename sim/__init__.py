"""Classic MuJoCo (CPU) end of the pipeline: replay a policy or baseline on the training robot, score, render, demo."""

import os

# MuJoCo picks its OpenGL backend when it is first imported: headless machines render offscreen through EGL
# (Debian libegl1 + libegl-mesa0, software rasterised when there is no GPU). An explicit MUJOCO_GL wins.
if not os.environ.get("DISPLAY") and "MUJOCO_GL" not in os.environ:
    os.environ["MUJOCO_GL"] = "egl"
