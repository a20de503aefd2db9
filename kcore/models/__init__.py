"""``kcore.models``: ``Model``, ``Sequential``, saving/loading and cloning."""

from kcore.models.functional import Functional
from kcore.models.model import Model
from kcore.models.sequential import Sequential
from kcore.models.cloning import clone_model
from kcore.saving.saving_api import load_model, model_from_json, save_model
