"""An ONNX file as a teacher: an onnxruntime session behind the ``nn.Module`` call.

Everything downstream (the cache pass, ``loop.predict``, the benchmark) calls a
teacher as ``teacher(float batch) -> logits``; this module keeps that contract, so
an ONNX teacher needs no branch of its own in the engine. onnxruntime is an
optional extra, checked when the file is loaded (before the run starts).

Threads: a session's intra-op thread count is fixed when it is made, while the
workbench changes torch's count per phase (every free core for the cache pass,
``compare.threads`` for latency). So one session is kept per thread count, made
on first use with ``torch.get_num_threads()``: the ONNX teacher runs on exactly
the thread budget a torch teacher would get in the same place.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from workbench.core.errors import PresetError, Problem

ONNX_HINT = 'pip install "distill-workbench[onnxruntime]"'
_NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                "tensor(double)": np.float64}


def onnxruntime_missing() -> bool:
    """True when the optional onnxruntime package is not installed (tests patch this)."""
    return importlib.util.find_spec("onnxruntime") is None


def model_files(path: Path) -> list[Path]:
    """The graph file and the external-data files its weights are stored in (ONNX keeps
    large initializers beside the graph); just the graph without the ``onnx`` package."""
    if importlib.util.find_spec("onnx") is None:
        return [path]
    import onnx

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:  # noqa: BLE001 - the session names the problem when it loads the file
        return [path]
    locations = {entry.value for tensor in graph.initializer
                 if tensor.data_location == onnx.TensorProto.EXTERNAL
                 for entry in tensor.external_data if entry.key == "location"}
    return [path, *(path.parent / location for location in sorted(locations))]


def require_onnxruntime(path: Path, field: str) -> None:
    """Raise the install hint (PresetError) when onnxruntime is missing."""
    if onnxruntime_missing():
        raise PresetError(str(path), [Problem(field, "an ONNX teacher runs through "
                                              f"onnxruntime, which is not installed: {ONNX_HINT}")])


def file_digest(paths: list[Path]) -> bytes:
    """sha256 of the files: graph and weights both change what the teacher outputs."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.digest()


def new_session(path: Path, threads: int, device: torch.device | None = None) -> Any:
    """An onnxruntime session on ``threads`` intra-op threads (CUDA when asked and present)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # warnings about unused initializers are not the user's
    providers = ["CPUExecutionProvider"]
    if (device is not None and device.type == "cuda"
            and "CUDAExecutionProvider" in ort.get_available_providers()):
        providers.insert(0, "CUDAExecutionProvider")
    return ort.InferenceSession(str(path), sess_options=options, providers=providers)


def open_session(path: Path, field: str, threads: int = 1,
                 device: torch.device | None = None) -> Any:
    """``new_session`` with its failures as one message for people (PresetError)."""
    require_onnxruntime(path, field)
    try:
        session = new_session(path, threads, device)
    except Exception as error:  # noqa: BLE001 - onnxruntime's errors are many; the text says
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise PresetError(str(path), [Problem(field, "is not an ONNX model onnxruntime can "
                                              f"load: {first}")]) from None
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(item.name for item in inputs)
        raise PresetError(str(path), [Problem(field, f"the ONNX model takes {len(inputs)} inputs "
                                              f"({names}); a teacher takes one: the images")])
    if inputs[0].type not in _NUMPY_TYPES:
        raise PresetError(str(path), [Problem(field, f"the ONNX model's input is "
                                              f"{inputs[0].type}; a teacher takes float images")])
    return session


def initializer_count(path: Path) -> int | None:
    """Numbers stored in the file's weights (initializers); None without the ``onnx`` package."""
    if importlib.util.find_spec("onnx") is None:
        return None
    import onnx

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:  # noqa: BLE001 - the session already loaded it; only the count is lost
        return None
    floating = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                onnx.TensorProto.BFLOAT16}
    return sum(math.prod(tensor.dims) for tensor in graph.initializer
               if tensor.data_type in floating)


def fixed_batch(session: Any) -> int | None:
    """The batch size a graph was exported with when it is not dynamic, else None."""
    first = session.get_inputs()[0].shape
    return first[0] if first and isinstance(first[0], int) and first[0] > 0 else None


class OnnxTeacher(nn.Module):
    """Float batch -> float32 logits through onnxruntime; not trainable.

    The file's sha256 is a buffer, so ``weights_digest`` (the cache key) changes
    whenever the file does. A graph exported with a fixed batch size is fed in
    chunks of that size.
    """

    def __init__(self, path: Path, device: torch.device | None = None,
                 field: str = "teacher.weights") -> None:
        super().__init__()
        self.path = Path(path)
        self._device = device
        self._sessions: dict[int, Any] = {}
        session = open_session(self.path, field, 1, device)  # checks the file now
        self._sessions[1] = session  # what batch-1 latency uses (compare.threads: 1)
        self._input = session.get_inputs()[0]
        self._dtype = _NUMPY_TYPES[self._input.type]
        self._batch = fixed_batch(session)
        files = [file for file in model_files(self.path) if file.is_file()]
        self.file_bytes = sum(file.stat().st_size for file in files)
        self.param_count = initializer_count(self.path)
        digest = torch.tensor(list(file_digest(files)), dtype=torch.uint8)
        self.register_buffer("onnx_sha256", digest)

    def session(self) -> Any:
        """The session for torch's current thread count (made on first use)."""
        threads = torch.get_num_threads()
        if threads not in self._sessions:
            self._sessions[threads] = new_session(self.path, threads, self._device)
        return self._sessions[threads]

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        array = inputs.detach().to("cpu", torch.float32).contiguous().numpy().astype(
            self._dtype, copy=False)
        session, step = self.session(), self._batch or max(1, len(array))
        outputs = [self._run(session, array[start:start + step])
                   for start in range(0, max(1, len(array)), step)]
        logits = torch.from_numpy(np.concatenate(outputs).astype(np.float32, copy=False))
        return logits.to(inputs.device)

    def _run(self, session: Any, chunk: np.ndarray) -> np.ndarray:
        rows = len(chunk)
        if self._batch is not None and rows < self._batch:  # the last chunk, padded
            padding = np.zeros((self._batch - rows, *chunk.shape[1:]), dtype=chunk.dtype)
            chunk = np.concatenate([chunk, padding])
        return session.run(None, {self._input.name: chunk})[0][:rows]

    def __getstate__(self) -> dict[str, Any]:
        """Sessions cannot be pickled or copied; a copy makes its own on first use."""
        state = dict(self.__dict__)
        state["_sessions"] = {}
        state["_input"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._input is None:
            self._input = self.session().get_inputs()[0]
