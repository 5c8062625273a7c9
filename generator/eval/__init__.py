"""Evaluation: the text-motion evaluator and its training, metrics, the text-to-motion protocol, completion,
the action classifier and the autoencoder evaluation."""
