"""Classic MuJoCo (CPU) end of the pipeline: replay a policy or baseline on the training robot, score, render, demo."""
