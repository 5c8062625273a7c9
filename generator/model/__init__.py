"""The MoLingo model: configs, text encoders, autoencoder, masked transformer, flow head, checkpoint and weights I/O.
May import generator.motion."""
