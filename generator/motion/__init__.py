"""The SMPL-22 motion core: skeleton, rotations, kinematics, the 272-D representation, the motion file, BVH,
rendering, plausibility and the command-line contract. The only part of generator that the other rooms import."""
