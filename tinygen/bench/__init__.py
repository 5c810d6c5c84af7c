"""`tinygen bench`: exact instructions per inference of generated firmware on an emulated board,
against the TFLM + CMSIS-NN reference figures kept here as data (reference.json)."""
