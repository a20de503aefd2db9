"""``kcore.models``: ``Model``, ``Sequential``, saving/loading and cloning."""

from kcore.models.functional import Functional
from kcore.models.model import Model
from kcore.models.sequential import Sequential
from kcore.models.cloning import clone_model
from kcore.saving.saving_api import load_model, model_from_json, save_model
from kcore.backend.serialization import register_builtins

# Where Keras 3 configs name the model classes (Functional is unexported in Keras: it is
# written with its source module and registered name "Functional").
register_builtins("keras.src.models.functional", {"Functional": Functional}, kind="layer")
register_builtins("keras", {"Model": Model, "Sequential": Sequential, "Functional": Functional},
                  kind="layer")
register_builtins("keras.models", {"Model": Model, "Sequential": Sequential}, kind="layer")
