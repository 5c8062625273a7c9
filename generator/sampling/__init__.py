"""Text to motion with a trained model: the sampler, prompt reading, foot cleanup and leg IK."""
