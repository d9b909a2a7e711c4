"""Model presets: an architecture, its arguments, optional weights and their origin."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import Problem
from workbench.core.models import MODELS
from workbench.core.config.params import check_mapping
from workbench.core.presets.schema import INLINE_MODEL_FIELDS, MODEL_FIELDS, SCHEMA_VERSION
from workbench.core.config.section import Section


# Teachers known only by a file: no Python class needed (response-based distillation).
BLACK_BOX = {
    "torchscript": "a TorchScript file (torch.jit.save) mapping images to logits",
    "onnx": "an ONNX file mapping images to logits, run by onnxruntime (an optional extra)",
    "outputs": "recorded outputs: logits or probabilities, one row per training image "
               "(.npy, .npz with 'train' and optional 'test', or .csv)",
}
TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts", ".jit", ".torchscript")
OUTPUT_SUFFIXES = (".npy", ".npz", ".csv")
ONNX_SUFFIXES = (".onnx",)


def file_kind(reference: str | Path) -> str | None:
    """The black-box kind a file's suffix names ("onnx", "torchscript", "outputs"), or None."""
    name = str(reference).lower()
    for kind, suffixes in (("onnx", ONNX_SUFFIXES), ("outputs", OUTPUT_SUFFIXES),
                           ("torchscript", TORCHSCRIPT_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return None


@dataclass(frozen=True)
class ModelPreset:
    """A validated model preset; ``weights`` is an absolute path or None."""

    name: str
    description: str
    architecture: str
    args: Section
    weights: Path | None
    trained_on: Mapping[str, Any] | None
    source: str

    @property
    def black_box(self) -> bool:
        return self.architecture in BLACK_BOX

    def to_dict(self) -> dict[str, Any]:
        """Self-contained form (absolute weights path) for run folders."""
        return {"schema": SCHEMA_VERSION, "kind": "model", "name": self.name,
                "description": self.description, "architecture": self.architecture,
                "args": self.args.to_dict(),
                "weights": None if self.weights is None else str(self.weights),
                "trained_on": None if self.trained_on is None else dict(self.trained_on)}


def validate_model(raw: Any, path: str, base_dir: Path, source: str,
                   problems: list[Problem], *, standalone: bool) -> ModelPreset | None:
    """Check a model preset mapping; ``standalone`` files must carry schema, kind and name."""
    start = len(problems)
    fields = MODEL_FIELDS if standalone else INLINE_MODEL_FIELDS
    values = check_mapping(raw, fields, path, problems)
    if not isinstance(raw, Mapping):
        return None
    prefix = f"{path}." if path else ""
    architecture = values["architecture"]
    args: dict[str, Any] = {}
    if isinstance(architecture, str) and architecture in BLACK_BOX:  # a list is unhashable
        if values["weights"] is None:
            problems.append(Problem(prefix + "weights", f"is required for a '{architecture}' "
                                    f"teacher: {BLACK_BOX[architecture]}"))
        if values["args"]:
            problems.append(Problem(prefix + "args", f"a '{architecture}' model takes no args"))
    elif isinstance(architecture, str):
        if architecture not in MODELS:
            problems.append(Problem(prefix + "architecture", MODELS.unknown_message(architecture)))
        else:
            args = check_mapping(values["args"], MODELS.get(architecture).params,
                                 prefix + "args", problems)
    trained_on = values["trained_on"]
    if trained_on is not None and not isinstance(trained_on, Mapping):
        problems.append(Problem(prefix + "trained_on", "must be a mapping (dataset, accuracy...)"))
    weights = None
    if isinstance(values["weights"], str):
        weights = (base_dir / values["weights"]).resolve()
        if not weights.is_file():
            problems.append(Problem(prefix + "weights", f"file not found: {weights}"))
    if len(problems) > start:
        return None
    return ModelPreset(name=values["name"] or path, description=values["description"],
                       architecture=architecture, args=Section(args), weights=weights,
                       trained_on=trained_on, source=source)
