"""Evaluation: the text-motion evaluator and its training, metrics, the text-to-motion protocol, attribute
correctness, completion, the action classifier and the autoencoder evaluation. May import generator.motion, .model,
.data, .procedural and .sampling."""
