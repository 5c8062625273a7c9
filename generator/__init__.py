"""MoLingo text-to-motion in the 272-D representation, and the SMPL-22 motion core the other rooms read."""
