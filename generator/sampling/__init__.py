"""Text to motion with a trained model: the sampler (and loading one), prompt reading and splitting, the prompt
vocabulary check, foot cleanup and leg IK. May import generator.motion, .model and .procedural."""
