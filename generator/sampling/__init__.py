"""Text to motion with a trained model: the sampler (and loading one), prompt reading and splitting, the prompt
vocabulary check, the modifier words that attribute guidance strips, foot cleanup and leg IK. May import
generator.motion, .model, .procedural and .data (the caption mirroring a side-canonical model reads prompts with)."""
