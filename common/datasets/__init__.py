"""Dataset loaders, one module per data family.

Every file is looked for in the data folder (`--data-dir` or
`$ASSIGNMENTS_DATA_DIR`), then in the cache, then downloaded from its
canonical public source (`base.find_file`); archives are extracted into the
cache only (`base.extract`). The data-folder layout is documented in each
module and matches `../shared/datasets/SOURCES.md`.
"""

from common.datasets.base import extract, find_file
from common.datasets.cells import load_cells
from common.datasets.cifar10 import load_cifar10
from common.datasets.conll2003 import iob1_to_iob2, load_conll2003
from common.datasets.imdb import load_imdb, make_vectorizer
from common.datasets.lfw import load_pairs, load_people
from common.datasets.lyrics_midi import load_lyrics_midi
from common.datasets.mnist import load_mnist, mnist_flat
from common.datasets.shakespeare import load_shakespeare
from common.datasets.sr import load_sr_images
from common.datasets.wikiann import load_wikiann

__all__ = [
    "extract",
    "find_file",
    "iob1_to_iob2",
    "load_cells",
    "load_cifar10",
    "load_conll2003",
    "load_imdb",
    "load_lyrics_midi",
    "load_mnist",
    "load_pairs",
    "load_people",
    "load_shakespeare",
    "load_sr_images",
    "load_wikiann",
    "make_vectorizer",
    "mnist_flat",
]
