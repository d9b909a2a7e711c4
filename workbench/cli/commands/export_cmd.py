"""``workbench export RUN``: a run's model as TorchScript or ONNX, ready to deploy."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.measure.export import (FORMATS, export_model, export_target,
                                           predictions_match)
from workbench.core.paths import default_runs_dir
from workbench.core.runs.store import UNREADABLE, find_run
from workbench.core.models.saved import load_checkpoint, load_torchscript, run_checkpoints
from workbench.core.measure.tables import human_bytes


def register(commands: Any) -> None:
    parser = commands.add_parser("export", help="export a run's model (TorchScript or ONNX)")
    parser.add_argument("run", metavar="RUN", help="run id, id prefix or folder")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
    parser.add_argument("--model", default="student",
                        help="which checkpoint of the run (default: student)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="PATH",
                        help="file to write; an existing folder gets RUN-MODEL.pt (.onnx)")
    parser.add_argument("--runs-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(handler=export_command)


def _is_file(path: Path) -> bool:
    """A regular file we may look at (a folder we may not enter is no checkpoint either)."""
    try:
        return path.is_file()
    except OSError:
        return False


def export_command(args: argparse.Namespace) -> int:
    runs_dir = args.runs_dir or default_runs_dir()
    info = find_run(runs_dir, args.run)
    if info is None:
        raise WorkbenchError(f"run '{args.run}' not found in {runs_dir} (give a run id, a "
                             "unique id prefix or a run folder; see `workbench runs list`)")
    checkpoint = info.path / "ckpt" / f"{args.model}.pt"
    if not _is_file(checkpoint):
        known = ", ".join(path.stem for path in run_checkpoints(info.path)) or "none"
        unreadable = (f"; the run folder is unreadable: {info.problem}"
                      if info.status == UNREADABLE else "")
        raise WorkbenchError(f"{checkpoint}: no such checkpoint (models of this run: {known}); "
                             f"choose one with --model{unreadable}")
    loaded = load_checkpoint(checkpoint, args.model)
    assert loaded.input_shape is not None
    meta = {**loaded.meta, "model": args.model, "source": str(checkpoint)}
    target = export_target(args.output, info.run_id, args.model, args.fmt)
    path = export_model(loaded.model, args.fmt, target, loaded.input_shape, meta)
    result = {"path": str(path), "format": args.fmt, "model": args.model, "run_id": info.run_id,
              "file_bytes": path.stat().st_size, "checkpoint_bytes": checkpoint.stat().st_size,
              "input_shape": list(loaded.input_shape), "classes": loaded.meta.get("classes"),
              "normalization": loaded.meta.get("normalization"), "verified": None}
    if args.fmt == "torchscript":
        result["verified"] = predictions_match(loaded.model, load_torchscript(path).model,
                                               loaded.input_shape)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        check = {True: "; predictions identical to the checkpoint",
                 False: "; WARNING: predictions differ from the checkpoint", None: ""}
        print(f"wrote {path} ({args.fmt}, {human_bytes(result['file_bytes'])}; checkpoint "
              f"{human_bytes(result['checkpoint_bytes'])}){check[result['verified']]}")
    return 0 if result["verified"] is not False else 1
