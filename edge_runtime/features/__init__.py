"""Feature code shared by training and inference: 478->68 mapping, resampling to 30 fps,
windowing and normalisation. Pure functions and small streaming classes over numpy arrays."""
