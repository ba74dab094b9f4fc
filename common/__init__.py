"""Shared code of the Keras assignment suite: flags, data, models, figures, reports.

Importing `common` selects the TensorFlow backend for Keras unless
`KERAS_BACKEND` is already set (the models are backend-neutral, so JAX works
too) and quiets TensorFlow's C++ start-up log.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
