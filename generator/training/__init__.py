"""Training the autoencoder and the generator (optionally with ATM alignment, mirror augmentation), on one shared
scaffold. May import generator.motion, .model, .data, .sampling and .eval (the ATM evaluator)."""
