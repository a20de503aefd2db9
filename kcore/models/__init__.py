"""``kcore.models``: ``Model``, ``Sequential``, saving/loading and cloning."""

from kcore.models.functional import Functional
from kcore.models.model import Model
from kcore.models.sequential import Sequential
