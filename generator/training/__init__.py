"""Training the autoencoder and the generator (optionally with ATM alignment)."""
