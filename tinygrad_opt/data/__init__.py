"""Data: datasets, a reproducible DataLoader with batch-size schedules, input standardization, and real
data shipped in the package (handwritten digits) or generated locally (MNIST-1D, optional)."""

from ..errors import MissingDatasetPackageError
from .dataset import Dataset, Standardize, TensorDataset, standardize
from .digits import build_digits_npz, load_digits, load_mnist1d
from .loader import DataLoader, growing_batch_size
