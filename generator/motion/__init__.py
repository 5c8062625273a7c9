"""The SMPL-22 motion core: skeleton, rotations, kinematics, the 272-D representation, the motion file, BVH,
rendering, plausibility, the command-line contract and the config dialect. Imports nothing else of the project; the
only part of generator that retarget builds on."""
