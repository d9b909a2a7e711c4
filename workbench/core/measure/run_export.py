"""Export one model of a finished run (TorchScript or ONNX), checked against its checkpoint.

What ``workbench export`` does, as one call the desktop app can make too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.measure.export import export_model, predictions_match
from workbench.core.models.saved import load_checkpoint, load_torchscript, run_checkpoints


@dataclass(frozen=True, slots=True)
class ExportedModel:
    path: Path
    fmt: str
    verified: bool | None  # TorchScript: identical predictions; ONNX: not checked here


def export_run_model(run_path: Path, model: str, fmt: str, target: Path) -> ExportedModel:
    """Write ``model``'s checkpoint of the run at ``run_path`` to ``target`` in ``fmt``.

    Raises:
        WorkbenchError: no such checkpoint (naming the run's models), or the export failed.
    """
    checkpoint = Path(run_path) / "ckpt" / f"{model}.pt"
    if not checkpoint.is_file():
        known = ", ".join(path.stem for path in run_checkpoints(Path(run_path))) or "none"
        raise WorkbenchError(f"{checkpoint}: no such checkpoint (models of this run: {known})")
    loaded = load_checkpoint(checkpoint, model)
    if loaded.input_shape is None:
        raise WorkbenchError(f"{checkpoint}: the checkpoint does not record its input shape")
    meta = {**loaded.meta, "model": model, "source": str(checkpoint)}
    path = export_model(loaded.model, fmt, Path(target), loaded.input_shape, meta)
    verified = None
    if fmt == "torchscript":
        verified = predictions_match(loaded.model, load_torchscript(path).model,
                                     loaded.input_shape)
    return ExportedModel(path, fmt, verified)
