"""Real int8 models from eager-mode quantization-aware training, and their plain storage.

A student is wrapped between a QuantStub and a DeQuantStub, its Conv-BN-ReLU /
Conv-ReLU / Linear-ReLU runs are fused, fake quantizers (weights per channel,
activations per tensor) are inserted by ``prepare_qat``, and ``convert`` swaps in
the x86/fbgemm int8 kernels. Checkpoints stay plain tensors (``weights_only``):
the packed ``(weight, bias)`` pairs of int8 Linear layers are split into two keys
and the dtype entries dropped; a loader rebuilds the same int8 skeleton and fills it.

``torch.ao.quantization`` warns that it is deprecated in favour of torchao, yet
torchao (0.18, installable) fake-quantizes only Linear and Embedding layers (no
Conv2d), offers QAT only towards its "unpacked int8" CPU format, and that format
dequantizes its weights on every call (about 30x slower than float at batch 1 on the
784-64-10 MLP). The eager path gives a real int8 model, with int8 kernels, for both
student families, at no new dependency.
"""
from __future__ import annotations

import contextlib
import copy
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

QUANTIZATION = "qat-int8"  # checkpoint meta "quantization": an int8 model from QAT
ENGINES = ("x86", "fbgemm", "qnnpack")  # x86 (fbgemm's successor) first; qnnpack on ARM
QUANTIZABLE = ("mlp", "cnn")  # plain Sequential models (a ResNet's residual add is not)
_PLAIN = (nn.Flatten, nn.Linear, nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.MaxPool2d, nn.Dropout)
_FUSABLE = ((nn.Conv2d, nn.BatchNorm2d, nn.ReLU), (nn.Conv2d, nn.ReLU), (nn.Linear, nn.ReLU))


def engine() -> str:
    """The quantized kernels this torch build has, set as torch's engine.

    Raises:
        ValueError: this build has no quantized engine at all.
    """
    supported = torch.backends.quantized.supported_engines
    chosen = next((name for name in ENGINES if name in supported), None)
    if chosen is None:
        raise ValueError("this CPU/torch build has no quantized engine: no int8 model")
    torch.backends.quantized.engine = chosen
    return chosen


@contextlib.contextmanager
def quiet_ao() -> Iterator[None]:
    """torch.ao.quantization warns on import and use that it is deprecated (see above)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class Int8Ready(nn.Module):
    """``body`` between a quantize and a dequantize stub: float in, float out."""

    def __init__(self, body: nn.Sequential) -> None:
        super().__init__()
        with quiet_ao():
            self.quant = torch.ao.quantization.QuantStub()
            self.dequant = torch.ao.quantization.DeQuantStub()
        self.body = body

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.body(self.quant(inputs)))


def fusable_runs(body: nn.Sequential) -> list[list[str]]:
    """Names of the Conv-BN-ReLU, Conv-ReLU and Linear-ReLU runs of ``body``, in order."""
    layers, runs, index = list(body), [], 0
    while index < len(layers):
        for pattern in _FUSABLE:
            window = layers[index:index + len(pattern)]
            if len(window) == len(pattern) and all(
                    type(layer) is kind for layer, kind in zip(window, pattern)):
                runs.append([str(index + offset) for offset in range(len(pattern))])
                index += len(pattern)
                break
        else:
            index += 1
    return runs


def prepare_qat(float_model: nn.Module) -> Int8Ready:
    """A fake-quantized copy of ``float_model`` to train (fused, observers inserted).

    Raises:
        ValueError: the model is not a plain ``nn.Sequential`` (see ``QUANTIZABLE``).
    """
    if not isinstance(float_model, nn.Sequential) or not all(
            isinstance(layer, _PLAIN) for layer in float_model):
        raise ValueError("quantization-aware training needs a plain sequential model "
                         f"({', '.join(QUANTIZABLE)})")
    kernels = engine()
    body = copy.deepcopy(float_model).cpu().train()
    with quiet_ao():
        body = torch.ao.quantization.fuse_modules_qat(body, fusable_runs(body))
        wrapped = Int8Ready(body)
        wrapped.qconfig = torch.ao.quantization.get_default_qat_qconfig(kernels)
        torch.ao.quantization.prepare_qat(wrapped, inplace=True)
    return wrapped


def convert_int8(prepared: nn.Module) -> nn.Module:
    """The real int8 model of a fake-quantized one (on the CPU, in eval mode)."""
    engine()
    with quiet_ao():
        return torch.ao.quantization.convert(prepared.cpu().eval(), inplace=False)


def int8_skeleton(float_model: nn.Module) -> nn.Module:
    """An int8 model of ``float_model``'s structure, to load a saved int8 state into."""
    return convert_int8(prepare_qat(float_model))


def is_int8(model: nn.Module) -> bool:
    """Whether ``model`` holds real int8 weights (a converted quantized module)."""
    return any(tensor.dtype == torch.qint8 for tensor in int8_weights(model))


def int8_weights(model: nn.Module) -> list[torch.Tensor]:
    """The quantized weight tensors of ``model``'s int8 Linear and Conv layers."""
    found = []
    for module in model.modules():
        weight = getattr(module, "weight", None)  # int8 layers unpack it on call
        if callable(weight) and not isinstance(weight, nn.Module):
            value = weight()
            if isinstance(value, torch.Tensor) and value.is_quantized:
                found.append(value)
    return found


def int8_parameter_count(model: nn.Module) -> int:
    """Weights and biases held packed by int8 layers (``parameters()`` does not list them)."""
    count = 0
    for module in model.modules():
        weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
        if callable(weight) and not isinstance(weight, nn.Module):
            value = weight()
            if isinstance(value, torch.Tensor) and value.is_quantized:
                count += value.numel()
                extra = bias() if callable(bias) else None
                count += extra.numel() if isinstance(extra, torch.Tensor) else 0
    return count


def plain_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model.state_dict()`` as plain tensors, loadable with ``weights_only=True``.

    A quantized tensor ``key`` becomes its int8/uint8 values under ``key`` plus
    ``key.scale`` / ``key.zero_point`` (``key.axis`` when per channel); packed
    ``(weight, bias)`` pairs of int8 Linear layers become ``key.0`` / ``key.1``;
    dtype entries (always qint8 here) are dropped.
    """
    state: dict[str, torch.Tensor] = {}
    for key, value in model.state_dict().items():
        parts = enumerate(value) if isinstance(value, tuple) else [(None, value)]
        for index, part in parts:
            if isinstance(part, torch.Tensor):
                state.update(_plain(key if index is None else f"{key}.{index}", part))
    return state


def _plain(key: str, tensor: torch.Tensor) -> dict[str, torch.Tensor]:
    tensor = tensor.detach().cpu()
    if not tensor.is_quantized:
        return {key: tensor}
    if tensor.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        return {key: tensor.int_repr(), f"{key}.scale": tensor.q_per_channel_scales(),
                f"{key}.zero_point": tensor.q_per_channel_zero_points(),
                f"{key}.axis": torch.tensor(tensor.q_per_channel_axis())}
    return {key: tensor.int_repr(), f"{key}.scale": torch.tensor(tensor.q_scale()),
            f"{key}.zero_point": torch.tensor(tensor.q_zero_point())}


def _quantized(key: str, state: Mapping[str, torch.Tensor]) -> torch.Tensor | None:
    if key not in state:
        return None
    values = state[key]
    if f"{key}.scale" not in state:
        return values
    scale, zero_point = state[f"{key}.scale"], state[f"{key}.zero_point"]
    with quiet_ao():  # quantized tensor creation warns that it is deprecated
        if f"{key}.axis" in state:
            return torch._make_per_channel_quantized_tensor(
                values, scale.double(), zero_point.long(), int(state[f"{key}.axis"]))
        return torch._make_per_tensor_quantized_tensor(values, float(scale),
                                                       int(zero_point))


def load_plain_state(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Fill ``model`` (an ``int8_skeleton``) from a ``plain_state``.

    Raises:
        KeyError / RuntimeError: the state is not of this model.
    """
    template = model.state_dict()
    filled: dict[str, Any] = OrderedDict()
    for key, value in template.items():
        if isinstance(value, tuple):
            filled[key] = (_required(f"{key}.0", state), _quantized(f"{key}.1", state))
        elif isinstance(value, torch.Tensor):
            filled[key] = _required(key, state)
        else:
            filled[key] = value
    filled._metadata = getattr(template, "_metadata", None)  # type: ignore[attr-defined]
    model.load_state_dict(filled)  # the versions above tell int8 layers the packed format


def _required(key: str, state: Mapping[str, torch.Tensor]) -> torch.Tensor:
    found = _quantized(key, state)
    if found is None:
        raise KeyError(key)
    return found
