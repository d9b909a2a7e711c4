"""Export a run's model for deployment: TorchScript (built in) or ONNX (optional extra).

A TorchScript export carries the checkpoint's meta (architecture, input shape,
classes) as an extra file, so ``workbench bench FILE`` needs no options, and is
checked to predict exactly what the checkpoint predicts before it is kept.
"""
from __future__ import annotations

import importlib.util
import io
import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from workbench.core.measure.size import sample_input
from workbench.core.errors import WorkbenchError
from workbench.core.files import atomic_path, os_reason
from workbench.core.models.saved import META_FILE

FORMATS = ("torchscript", "onnx")
EXTENSIONS = {"torchscript": ".pt", "onnx": ".onnx"}
ONNX_PACKAGES = ("onnx", "onnxscript")  # torch.onnx.export's dynamo exporter needs both


class ExportError(WorkbenchError):
    """A model could not be exported (or the exporter's packages are missing)."""


def missing_onnx_packages() -> list[str]:
    return [name for name in ONNX_PACKAGES if importlib.util.find_spec(name) is None]


def export_target(output: Path, run_id: str, model: str, fmt: str) -> Path:
    """The file to write for ``-o output``: an existing folder gets ``<run>-<model>.<ext>``."""
    output = Path(output)
    try:
        is_folder = output.is_dir()
    except OSError:
        is_folder = False  # export_model names the problem when it tries to write
    return output / f"{run_id}-{model}{EXTENSIONS[fmt]}" if is_folder else output


def export_model(model: nn.Module, fmt: str, path: Path, input_shape: tuple[int, ...],
                 meta: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (CPU, eval mode) to ``path`` in ``fmt``; returns the path.

    Raises:
        ExportError: unknown format, missing ONNX packages, or ``path`` cannot be
            written (read-only place, full disk); no file is left behind then.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}' (choose {' or '.join(FORMATS)})")
    model = model.cpu().eval()
    try:
        with atomic_path(path) as partial:  # both exporters want a file name, not a handle
            if fmt == "torchscript":
                _write_torchscript(model, partial, input_shape, meta or {})
            else:
                _write_onnx(model, partial, input_shape)
    except OSError as error:
        raise ExportError(f"{path}: cannot write the export ({os_reason(error)}); choose "
                          "another file or folder with -o") from None
    return path


def _write_torchscript(model: nn.Module, path: Path, input_shape: tuple[int, ...],
                       meta: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated, yet still the portable format
        try:
            scripted = torch.jit.script(model)
        except Exception:  # noqa: BLE001 - not scriptable: tracing fits our static models
            with torch.inference_mode(False), torch.no_grad():
                scripted = torch.jit.trace(model, sample_input(input_shape))
        # Saved into memory, then written by Python: torch's own file writer aborts the
        # whole process (std::terminate) when a write fails, e.g. on a full disk.
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer, _extra_files={META_FILE: json.dumps(meta)})
    path.write_bytes(buffer.getvalue())


def _write_onnx(model: nn.Module, path: Path, input_shape: tuple[int, ...]) -> None:
    missing = missing_onnx_packages()
    if missing:
        raise ExportError(f"ONNX export needs the package(s) {', '.join(missing)}, which are not "
                          "installed. Install the extra: pip install 'distill-workbench[onnx]' "
                          "(or use --format torchscript)")
    batch = torch.export.Dim("batch", min=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (sample_input(input_shape),), str(path),
                              input_names=["input"], output_names=["logits"],
                              dynamic_shapes=({0: batch},), dynamo=True,
                              # one file: weights beside it would be named after the temp file
                              external_data=False,
                              verbose=False)  # its progress lines would break --json
    except OSError:
        raise  # the file, not the model: export_model names the path
    except Exception as error:  # noqa: BLE001 - exporter errors are many; the message says
        raise ExportError(f"ONNX export of the model failed: {error}") from None


@torch.inference_mode()
def predictions_match(original: nn.Module, exported: nn.Module, input_shape: tuple[int, ...],
                      batch_size: int = 16) -> bool:
    """True when both models give identical logits on the same random batch."""
    batch = sample_input(input_shape, batch_size)
    return bool(torch.equal(original.cpu().eval()(batch), exported.eval()(batch)))
