"""Helpers for bundle tests: folder snapshots, weights files and hand-made zips."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import torch

from workbench.core.models.weights import save_checkpoint
from workbench.core.models import build_model

MODEL_YAML = """\
schema: 1
kind: model
name: {name}
architecture: mlp
args: {{hidden: [6]}}
weights: {name}.pt
"""
EXPERIMENT_YAML = """\
schema: 1
kind: experiment
name: {name}
teacher: {teacher}
student: synthetic-mlp
data: {{dataset: synthetic, val_size: 200, train_limit: 1200}}
distill: {{alpha: 0.5, temperature: 3.0}}
train: {{epochs: 1, batch_size: 128, lr: 0.003, seed: 3, threads: 1}}
compare: {{latency_repeats: 3, warmup: 1, throughput_batch: 32, threads: 1}}
"""


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` with its sha256 (folders map to "dir")."""
    if not folder.exists():
        return {}
    return {str(path.relative_to(folder)): "dir" if path.is_dir() else
            hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*"))}


def write_weighted_user_preset(folder: Path, model: str = "my-teacher",
                               experiment: str = "mine", seed: int = 1) -> None:
    """A user model preset with (untrained, seeded) weights and an experiment using it."""
    (folder / "models").mkdir(parents=True, exist_ok=True)
    (folder / "experiments").mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    network = build_model("mlp", {"hidden": [6]}, (1, 28, 28), 10)
    save_checkpoint(folder / "models" / f"{model}.pt", network, {"note": "test"})
    (folder / "models" / f"{model}.yaml").write_text(MODEL_YAML.format(name=model),
                                                     encoding="utf-8")
    (folder / "experiments" / f"{experiment}.yaml").write_text(
        EXPERIMENT_YAML.format(name=experiment, teacher=model), encoding="utf-8")


def read_entries(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path: Path, entries: dict[str, bytes], *, fix_manifest: bool = True,
              link: str | None = None) -> Path:
    """Write ``entries`` as a zip; ``fix_manifest`` recomputes the manifest's hashes and
    sizes (so only the planted problem trips); ``link`` marks one entry as a symlink."""
    entries = dict(entries)
    if fix_manifest:
        manifest = json.loads(entries["manifest.json"])
        manifest["files"] = {name: {"sha256": hashlib.sha256(data).hexdigest(),
                                    "size": len(data)}
                             for name, data in entries.items() if name != "manifest.json"}
        entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o120777 if name == link else 0o100644) << 16
            archive.writestr(info, data)
    return path


def export_genuine_bundle(folder: Path) -> Path:
    """A real bundle with weights, exported from the user folder, which is emptied after."""
    from workbench.core.presets.library import user_presets_dir
    from workbench.core.presets.share.bundle import export_bundle

    write_weighted_user_preset(user_presets_dir())
    bundle = export_bundle("mine", folder / "mine.wbpreset", with_weights=True).path
    for path in sorted(user_presets_dir().rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    return bundle
