"""Motion datasets: the procedural dataset writer, readers for the HumanML3D-272 layout and BABEL labels, the AMASS
converter, mirror augmentation, and the torch Dataset used for training (`python -m generator.data --help`). May
import generator.motion and .procedural."""

from generator.data.babel import FrameLabels, Segment, read_babel, read_frame_labels
from generator.data.layout import Caption, HumanML3D272

__all__ = ["Caption", "FrameLabels", "HumanML3D272", "Segment", "read_babel", "read_frame_labels"]
