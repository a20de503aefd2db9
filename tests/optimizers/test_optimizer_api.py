"""The Optimizer base class: clipping, weight decay, EMA, accumulation, learning rate, state."""

import warnings

import numpy as np
import pytest

from kcore import constraints, optimizers
from kcore.backend.autodiff import GradientTape
from kcore.backend.tensor import Tensor, Variable
from kcore.optimizers import schedules

F32 = np.float32


def _vars(*arrays):
    return [Variable(np.asarray(a, dtype=F32), name=f"v{i}") for i, a in enumerate(arrays)]


# -- clipping ---------------------------------------------------------------------------


def test_clipnorm_clips_each_gradient_to_its_own_norm():
    v = _vars(np.zeros(2), np.zeros(2))
    opt = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    opt.apply([np.array([3.0, 4.0]), np.array([0.3, 0.4])], v)
    np.testing.assert_allclose(v[0].value, [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(v[1].value, [-0.3, -0.4], rtol=1e-6)


def test_global_clipnorm_scales_all_gradients_jointly():
    v = _vars(np.zeros(2), np.zeros(1))
    opt = optimizers.SGD(learning_rate=1.0, global_clipnorm=2.0)
    opt.apply([np.array([3.0, 4.0]), np.array([0.0])], v)  # global norm 5
    np.testing.assert_allclose(v[0].value, [-1.2, -1.6], rtol=1e-6)
    opt.apply([np.array([0.3, 0.4]), np.array([0.0])], v)  # below the limit: unchanged
    np.testing.assert_allclose(v[0].value, [-1.5, -2.0], rtol=1e-6)


def test_clipvalue_clips_elementwise():
    v = _vars(np.zeros(3))
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply([np.array([-2.0, 0.1, 3.0])], v)
    np.testing.assert_allclose(v[0].value, [0.5, -0.1, -0.5], rtol=1e-6)


def test_clipping_does_not_modify_the_callers_gradient():
    g = np.array([3.0, 4.0], dtype=F32)
    optimizers.SGD(clipnorm=1.0).apply([g], _vars(np.zeros(2)))
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_at_most_one_clip_option():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


# -- weight decay -----------------------------------------------------------------------


def test_weight_decay_precedes_the_update_and_honours_exclusions():
    kernel, bias, other = _vars(np.full(2, 2.0), np.full(2, 2.0), np.full(2, 2.0))
    kernel.name, bias.name, other.name = "kernel", "bias", "other"
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    g = np.ones(2, dtype=F32)
    opt.apply([g, g, g], [kernel, bias, other])
    np.testing.assert_allclose(kernel.value, 2.0 - 2.0 * 0.5 * 0.1 - 0.1, rtol=1e-6)
    np.testing.assert_allclose(bias.value, 1.9, rtol=1e-6)
    np.testing.assert_allclose(other.value, 1.9, rtol=1e-6)


def test_adamw_requires_weight_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


# -- EMA --------------------------------------------------------------------------------


def test_ema_tracks_the_weights_and_finalize_writes_the_average():
    (v,) = _vars(np.zeros(2))
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    opt.apply([np.ones(2)], [v])  # w = -1; first step: average = w
    opt.apply([np.ones(2)], [v])  # w = -2; average = 0.5 * -1 + 0.5 * -2
    np.testing.assert_allclose(v.value, -2.0)
    opt.finalize_variable_values([v])
    np.testing.assert_allclose(v.value, -1.5)
    assert [x.path for x in opt.variables] == ["sgd/iteration", "sgd/learning_rate", "sgd/v0_average"]


def test_ema_overwrite_frequency():
    (v,) = _vars(np.zeros(1))
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.value, -1.0)
    opt.apply([np.ones(1)], [v])  # average -1.5 overwrites w at the 2nd step
    np.testing.assert_allclose(v.value, -1.5)


def test_ema_arguments_are_validated():
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        optimizers.Adam(use_ema=True, ema_overwrite_frequency=0.5)


# -- gradient accumulation ----------------------------------------------------------------


def test_gradient_accumulation_updates_every_n_calls_with_the_mean():
    (v,) = _vars(np.zeros(2))
    opt = optimizers.SGD(learning_rate=0.1, gradient_accumulation_steps=2)
    opt.apply([np.array([1.0, 2.0])], [v])
    np.testing.assert_array_equal(v.value, [0.0, 0.0])
    assert int(opt.iterations) == 0
    opt.apply([np.array([3.0, 4.0])], [v])
    np.testing.assert_allclose(v.value, [-0.2, -0.3], rtol=1e-6)
    assert int(opt.iterations) == 1
    acc = opt.variables[2]
    assert acc.path == "sgd/v0_gradient_accumulator"
    np.testing.assert_array_equal(acc.value, 0.0)


def test_gradient_accumulation_steps_must_be_at_least_2():
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.SGD(gradient_accumulation_steps=1)


# -- gradients ----------------------------------------------------------------------------


def test_none_gradients_are_skipped_with_a_warning():
    a, b = _vars(np.zeros(2), np.zeros(2))
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt.apply([None, np.ones(2)], [a, b])
    np.testing.assert_array_equal(a.value, 0.0)
    np.testing.assert_array_equal(b.value, -1.0)
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None], [a, b])


def test_tensor_and_float64_gradients_are_accepted():
    (v,) = _vars(np.zeros(2))
    opt = optimizers.SGD(learning_rate=1.0)
    opt.apply([Tensor(np.ones(2))], [v])
    opt.apply([np.ones(2, dtype=np.float64)], [v])
    assert v.value.dtype == np.float32
    np.testing.assert_array_equal(v.value, -2.0)


def test_loss_scale_factor_unscales_gradients():
    (v,) = _vars(np.zeros(1))
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert opt.scale_loss(2.0) == 8.0
    opt.apply([np.array([4.0])], [v])
    np.testing.assert_allclose(v.value, [-1.0])


def test_constraints_are_applied_after_the_update():
    (v,) = _vars(np.array([0.5, 0.5]))
    v.constraint = constraints.NonNeg()
    optimizers.SGD(learning_rate=1.0).apply([np.array([1.0, -1.0])], [v])
    np.testing.assert_allclose(v.value, [0.0, 1.5])


def test_apply_without_variables_needs_a_built_optimizer():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(2)])
    (v,) = _vars(np.zeros(2))
    opt.build([v])
    opt.apply([np.ones(2)])
    assert int(opt.iterations) == 1
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.ones(2)], _vars(np.zeros(2)))


def test_apply_gradients_returns_iterations_and_is_not_taped():
    (v,) = _vars(np.zeros(2))
    opt = optimizers.Adam()
    with GradientTape() as tape:
        it = opt.apply_gradients([(np.ones(2, dtype=F32), v)])
    assert it is opt.iterations and int(it) == 1
    assert tape._records == []


# -- learning rate -----------------------------------------------------------------------


def test_learning_rate_float_and_assignment():
    opt = optimizers.SGD(learning_rate=0.1)
    assert float(opt.learning_rate) == float(F32(0.1))
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    (v,) = _vars(np.zeros(1))
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.value, [-0.5])
    assert opt.variables[1] is opt.learning_rate


def test_learning_rate_must_be_a_number_or_schedule():
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")


def test_schedule_learning_rate_is_not_assignable():
    opt = optimizers.SGD(learning_rate=schedules.ExponentialDecay(1.0, 1, 0.5))
    assert [v.path for v in opt.variables] == ["sgd/iteration"]
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_schedule_is_evaluated_at_the_iteration_count():
    opt = optimizers.SGD(learning_rate=schedules.PiecewiseConstantDecay([0], [1.0, 0.1]))
    (v,) = _vars(np.zeros(1))
    assert float(opt.learning_rate) == 1.0
    opt.apply([np.ones(1)], [v])  # step 0 uses 1.0
    assert float(opt.learning_rate) == float(F32(0.1))
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.value, [-1.1], rtol=1e-6)


def test_scale_learning_rate_with_a_float():
    opt = optimizers.Adam(learning_rate=0.8)
    assert opt.scale_learning_rate(0.5) == pytest.approx(0.4)
    assert float(opt.learning_rate) == pytest.approx(0.4)


def test_scale_learning_rate_with_a_schedule():
    opt = optimizers.SGD(learning_rate=schedules.InverseTimeDecay(1.0, 1, 1.0))
    (v,) = _vars(np.zeros(1))
    opt.apply([np.ones(1)], [v])  # lr(0) = 1
    new_lr = opt.scale_learning_rate(0.1)
    assert new_lr == pytest.approx(0.1 * 0.5)  # lr(1) = 1 / 2, scaled
    assert float(opt.learning_rate) == pytest.approx(0.05)
    assert opt.learning_rate_scale == pytest.approx(0.1)
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.value, [-1.05], rtol=1e-6)


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.25)
    (v,) = _vars(np.zeros(1))
    opt.apply([np.ones(1)], [v])
    np.testing.assert_allclose(v.value, [-0.25])


# -- construction, names, config --------------------------------------------------------


def test_unknown_keywords_and_lr_are_rejected():
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.Adam(lr=0.1)
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.SGD(momentun=0.9)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.Adam(decay=0.1)


def test_variables_order_names_and_types():
    kernel, bias = _vars(np.zeros((2, 3)), np.zeros(3))
    kernel.path, bias.path = "seq/dense/kernel", "seq/dense/bias"
    opt = optimizers.Adam()
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables] == [
        "adam/iteration", "adam/learning_rate",
        "adam/seq_dense_kernel_momentum", "adam/seq_dense_kernel_velocity",
        "adam/seq_dense_bias_momentum", "adam/seq_dense_bias_velocity"]
    assert opt.iterations.dtype == "int64" and not opt.iterations.trainable
    assert all(not v.trainable for v in opt.variables)
    assert opt.variables[2].name == "seq_dense_kernel_momentum"


@pytest.mark.parametrize("name, cls", [
    ("adam", optimizers.Adam), ("Adam", optimizers.Adam), ("ADAM", optimizers.Adam),
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
    ("RMSprop", optimizers.RMSprop), ("adamw", optimizers.AdamW), ("nadam", optimizers.Nadam),
    ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("adamax", optimizers.Adamax), ("ftrl", optimizers.Ftrl), ("lion", optimizers.Lion),
])
def test_get_by_name_is_case_insensitive(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_passes_instances_and_configs():
    opt = optimizers.RMSprop()
    assert optimizers.get(opt) is opt
    restored = optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.01}})
    assert isinstance(restored, optimizers.Adam)
    assert float(restored.learning_rate) == float(F32(0.01))
    # tf.keras writes "Custom>Adam" and extra keys
    legacy = optimizers.get({"class_name": "Custom>Adam",
                             "config": {"learning_rate": 0.01, "is_legacy_optimizer": False}})
    assert isinstance(legacy, optimizers.Adam)


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="Did you mean 'adam'.*adadelta, adagrad, adam") as info:
        optimizers.get("adamm")
    assert "sgd" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret optimizer"):
        optimizers.get(42)


@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.RMSprop, optimizers.Adam,
                                 optimizers.AdamW, optimizers.Adagrad, optimizers.Adadelta,
                                 optimizers.Adamax, optimizers.Nadam, optimizers.Ftrl,
                                 optimizers.Lion])
def test_config_round_trip(cls):
    opt = cls(learning_rate=0.3, clipnorm=2.0, name="mine")
    config = opt.get_config()
    assert config["name"] == "mine" and config["learning_rate"] == float(F32(0.3))
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is cls and restored.get_config() == config


def test_config_round_trip_with_a_schedule():
    schedule = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5)
    opt = optimizers.Adam(learning_rate=schedule)
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.deserialize(config)
    assert isinstance(restored._learning_rate, schedules.CosineDecay)
    assert restored._learning_rate.get_config() == schedule.get_config()


def test_default_names_follow_keras():
    assert [optimizers.get(n).name for n in ("sgd", "rmsprop", "adamw", "adam")] == [
        "sgd", "rm_sprop", "adam_w", "adam"]


# -- state ----------------------------------------------------------------------------------


def test_save_and_load_own_variables_continue_training_exactly():
    grads = [np.random.default_rng(s).normal(size=(2, 3)).astype(F32) for s in range(6)]
    (ref,) = _vars(np.ones((2, 3)))
    ref_opt = optimizers.Nadam(learning_rate=0.01)
    for g in grads:
        ref_opt.apply([g], [ref])

    (v,) = _vars(np.ones((2, 3)))
    opt = optimizers.Nadam(learning_rate=0.01)
    for g in grads[:3]:
        opt.apply([g], [v])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(opt.variables))]

    (v2,) = _vars(v.numpy())
    opt2 = optimizers.Nadam(learning_rate=0.01)
    opt2.build([v2])
    opt2.load_own_variables(store)
    for g in grads[3:]:
        opt2.apply([g], [v2])
    np.testing.assert_array_equal(v2.value, ref.value)


def test_load_own_variables_warns_on_count_mismatch():
    opt = optimizers.Adam()
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        opt.load_own_variables({"0": np.array(3)})


def test_get_and_set_weights():
    (v,) = _vars(np.zeros(2))
    opt = optimizers.Adam()
    opt.apply([np.ones(2, dtype=F32)], [v])
    weights = opt.get_weights()
    weights[2] = np.full(2, 7.0, dtype=F32)
    opt.set_weights(weights)
    np.testing.assert_array_equal(opt.variables[2].value, 7.0)
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights([np.zeros(3)] * len(weights))


def test_no_warnings_on_a_plain_step():
    (v,) = _vars(np.zeros(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.Adam().apply([np.ones(2, dtype=F32)], [v])
