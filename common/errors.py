"""Errors that mean "the user's input is wrong", reported in one line with exit code 2."""


class InputError(ValueError):
    """Bad input: a flag value, a missing or corrupt file, a name that is not known.

    Scripts catch it at the top (`common.config.run_cli`), print the message
    to stderr and exit with code 2; nothing is left half-written.
    """


class DatasetNotFoundError(InputError):
    """A dataset is in neither the data folder nor the cache, and could not be downloaded."""


class ModelNotAvailableError(InputError):
    """A pretrained model needs a network (or a package) that is not there."""
