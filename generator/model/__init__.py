"""The MoLingo model: configs, text encoders, autoencoder, masked transformer, flow head, checkpoint I/O."""
