"""The preset schema (version 1), declared once as Params per section."""
from __future__ import annotations

from workbench.core.config.params import Param

SCHEMA_VERSION = 1  # what every preset this app writes declares as ``schema:``

MODEL_FIELDS = (
    Param("schema", "int", None, "preset schema version"),
    Param("kind", "str", "model", "preset kind", choices=("model",)),
    Param("name", "name", None, "preset name (also its file and run-folder name)"),
    Param("description", "str", "", "one line for people"),
    Param("architecture", "str", None, "registered architecture"),
    Param("args", "any", None, "arguments of the architecture", nullable=True),
    Param("weights", "str", None, "weights file (relative to this preset)", nullable=True),
    Param("trained_on", "any", None, "what the weights were trained on", nullable=True),
)

# Inside an experiment (teacher: {...}) a model needs no schema or name of its own.
INLINE_MODEL_FIELDS = tuple(
    # ... and its name is a label, never a file name (a teacher file's stem may have spaces).
    Param(p.name, "str" if p.kind == "name" else p.kind,
          {"schema": SCHEMA_VERSION, "name": "inline"}.get(p.name, p.default),
          p.help, choices=p.choices, nullable=p.nullable) for p in MODEL_FIELDS)

# The experiment's own scalar fields; the model roles and sections below are checked apart.
EXPERIMENT_FIELDS = (
    Param("schema", "int", None, "preset schema version"),
    Param("kind", "str", "experiment", "preset kind", choices=("experiment",)),
    Param("name", "name", None, "preset name (also its file and run-folder name)"),
    Param("description", "str", "", "one line for people"),
)
MODEL_ROLES = ("teacher", "student")
# distill: {method: ...} picks the registered method whose Params declare the other keys.
DISTILL_METHOD = Param("method", "str", "offline", "distillation method")

# Data larger than memory (core.data.streaming): when the run streams, and how the teacher's
# outputs are stored for a streamed run. In-memory runs keep their float32 cache unchanged.
STREAMING_FIELDS = (
    Param("memory_limit_mb", "int", None, "stream the training images from disk (decoded "
          "once, read by worker processes) when holding them in memory would take more "
          "than this many MiB; null: half of the memory available when the run starts",
          nullable=True, minimum=1, maximum=16 * 1024 * 1024),
    Param("workers", "int", None, "worker processes reading a streamed run's batches ahead "
          "(0: read in the training process; null: up to 2 where cores are left beyond the "
          "training threads and one more, else 0)", nullable=True, minimum=0, maximum=64),
    Param("cache_dtype", "str", "float16", "how a streamed run stores the teacher's outputs "
          "on disk (float16: half the size, each logit rounded by at most 0.05%)",
          choices=("float16", "float32")),
    Param("cache_top_k", "int", 0, "a streamed run stores only the teacher's k largest logits "
          "and their classes (the rest count as probability 0; 0 = all classes)",
          minimum=0, maximum=100000),
)

DATA_FIELDS = (
    Param("dataset", "str", "fashion-mnist", "registered dataset"),
    Param("root", "str", None, "folder or file holding the dataset (relative: to the "
          "preset's folder)", nullable=True),
    Param("download", "bool", True, "download the dataset if it is not found"),
    Param("val_size", "int", 5000, "validation images carved from train by seed", minimum=0),
    Param("labeled", "int", None, "keep labels for only N training images; the rest become "
          "an unlabeled transfer set taught by the teacher alone", nullable=True, minimum=1),
    Param("train_limit", "int", None, "use only the first N training images (quick runs)",
          nullable=True, minimum=1),
    Param("seed", "int", 0, "seed of procedural datasets and of the test split drawn from "
          "your own data", minimum=0),
    Param("teacher_pass", "str", "auto", "how the teacher's one pass over the data runs, on "
          "every free core: torch (batch norms folded, channels_last), onnxruntime (the "
          "[onnxruntime] extra; ~1.7x faster on an AVX2 CPU), auto (onnxruntime where it is "
          "installed and the pass is large, else torch) — their logits agree with the "
          "model's own forward to ~1e-6 of their scale — or exact (the model's own forward: "
          "bit-identical logits, ~2x slower than torch)",
          choices=("auto", "torch", "onnxruntime", "exact")),
) + STREAMING_FIELDS

RECIPE_FIELDS = (
    Param("epochs", "int", 10, "passes over the training set", minimum=1, maximum=100000),
    Param("batch_size", "int", 128, "images per step", minimum=1, maximum=65536),
    Param("lr", "float", 0.001, "learning rate", minimum=0.0, exclusive_minimum=True,
          maximum=10.0),
    Param("optimizer", "str", "adam", "optimizer", choices=("adam", "adamw", "sgd")),
    Param("weight_decay", "float", 0.0, "weight decay", minimum=0.0, maximum=1.0),
    Param("schedule", "str", "cosine", "learning-rate schedule over all steps",
          choices=("constant", "cosine", "onecycle")),
)

TRAIN_FIELDS = RECIPE_FIELDS + (
    Param("seed", "int", 0, "seed for weights, shuffling and splits", minimum=0),
    Param("device", "str", "auto", "where to train", choices=("auto", "cpu", "cuda", "mps")),
    Param("threads", "int", None, "CPU threads for training (default: from model size, free cores)",
          nullable=True, minimum=1, maximum=1024),
    Param("baseline", "bool", True, "also train a baseline student (alpha = 1, labeled data "
          "only, same architecture, seed and steps) to answer 'did distillation help?'"),
)

TEACHER_TRAIN_FIELDS = RECIPE_FIELDS + (
    Param("augment", "str", "none", "augmentation while training the teacher",
          choices=("none", "flip")),
)

COMPARE_FIELDS = (
    Param("latency_repeats", "int", 100, "timed batch-1 inferences per model", minimum=1,
          maximum=100000),
    Param("warmup", "int", 10, "untimed inferences before timing", minimum=0, maximum=10000),
    Param("throughput_batch", "int", 512, "batch size for throughput", minimum=1,
          maximum=65536),
    Param("threads", "int", 1, "CPU threads while timing (fixed, reported)", minimum=1,
          maximum=1024),
)

# Green distillation: a quantization-aware (int8) and a structurally pruned student, both
# distilled from the run's teacher after the float student is trained.
GREEN_FIELDS = (
    Param("qat", "bool", False, "also train an int8 student with quantization-aware "
          "distillation (student-qat)"),
    Param("prune", "float", 0.0, "fraction of hidden units / channels to remove with "
          "prune-then-distill (student-pruned); 0 = off", minimum=0.0, maximum=0.95),
    Param("prune_steps", "int", 1, "pruning rounds, each followed by distillation to recover",
          minimum=1, maximum=20),
    # 480 g/kWh: the world's average electricity in 2023 (Ember, Global Electricity Review 2024).
    Param("grid_intensity", "float", 480.0, "grams of CO2 per kWh of the electricity used "
          "(the energy bill's co2_g; default: world average 2023)", minimum=0.0,
          maximum=2000.0),
)

SECTIONS = {"data": DATA_FIELDS, "train": TRAIN_FIELDS, "teacher_train": TEACHER_TRAIN_FIELDS,
            "compare": COMPARE_FIELDS, "green": GREEN_FIELDS}

EXPERIMENT_TOP = (*(param.name for param in EXPERIMENT_FIELDS), *MODEL_ROLES, "data", "distill",
                  "train", "teacher_train", "compare", "green")
