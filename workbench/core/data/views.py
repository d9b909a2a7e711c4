"""Fixed augmented views of every training image, for consistent teaching.

"A good teacher is patient and consistent" (Beyer et al. 2022): the student should
see an augmented image together with the teacher's output *on that same image*.
With ``distill.views: N`` every training image gets N fixed views, drawn once from
the run's seed: view 0 is the image itself, views 1..N-1 a horizontal flip (half of
them) and a shift of up to ``MAX_SHIFT`` pixels each way. The teacher is run once
per view (its outputs are cached), never per step.

Rows of a views tensor are laid out view by view: row ``v * images + i`` is view v
of image i. A ``ViewTrainSet`` has ``views * rows`` positions; the loop's own
generator picks (image, view) pairs, so the choice is reproducible and resumable,
and the caller keeps the steps per epoch of the images without views.

Written by hand rather than with torchvision's transforms: those draw a new
augmentation per call, and the point here is that each view is fixed, shared by
the teacher pass and every student step. Every view is one of 50 transforms (flip
or not, 5 x 5 shifts), so a batch is drawn with one ``gather`` through precomputed
source-pixel maps (about 0.2 ms for 128 images of 28x28 on one CPU core).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from workbench.core.data.batches import Batch, Progress, TrainSet

MAX_SHIFT = 2  # pixels; small enough to keep a 28x28 garment whole


SPAN = 2 * MAX_SHIFT + 1  # shifts per axis


@dataclass(frozen=True)
class ViewPlan:
    """Each image's flip and shift per view; ``flips[0]`` and ``shifts[0]`` are all zero."""

    flips: torch.Tensor  # (views, images) bool
    shifts: torch.Tensor  # (views, images, 2) int64: (down, right) in pixels
    seed: int
    codes: torch.Tensor = field(init=False)  # (views, images): which of the 50 transforms

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", transform_codes(self.flips, self.shifts))

    @property
    def count(self) -> int:
        return int(self.flips.shape[0])

    @property
    def images(self) -> int:
        return int(self.flips.shape[1])

    def tag(self) -> str:
        """What a cache key needs to tell these views from others (v1: this drawing)."""
        return f"views-v1|{self.count}|{self.seed}|{MAX_SHIFT}"


def make_views(count: int, images: int, seed: int,
               device: torch.device | str = "cpu") -> ViewPlan:
    """``count`` fixed views of ``images`` images, the same for the same seed."""
    generator = torch.Generator().manual_seed(seed)
    flips = torch.rand(count, images, generator=generator) < 0.5
    shifts = torch.randint(-MAX_SHIFT, MAX_SHIFT + 1, (count, images, 2), generator=generator)
    flips[0] = False
    shifts[0] = 0
    return ViewPlan(flips.to(device), shifts.to(device), seed)


def transform_codes(flips: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """One number per (flip, down, right): the row of ``_source_maps`` that draws it."""
    shifted = shifts + MAX_SHIFT
    return (flips.long() * SPAN + shifted[..., 0]) * SPAN + shifted[..., 1]


@functools.lru_cache(maxsize=8)
def _source_maps(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(2 * SPAN * SPAN, height * width): for each transform, the source pixel of every
    output pixel. Out-of-image sources are clamped to the edge (edges repeat, no zeros)."""
    maps = []
    for flip in (False, True):
        for down in range(-MAX_SHIFT, MAX_SHIFT + 1):
            for right in range(-MAX_SHIFT, MAX_SHIFT + 1):
                rows = (torch.arange(height) - down).clamp(0, height - 1)
                columns = torch.arange(width) - right
                columns = (width - 1 - columns if flip else columns).clamp(0, width - 1)
                maps.append((rows.view(-1, 1) * width + columns.view(1, -1)).flatten())
    return torch.stack(maps).to(device)


def render_codes(images: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """``images`` (B, C, H, W), row b drawn with transform ``codes[b]``: one gather."""
    batch, channels, height, width = images.shape
    index = _source_maps(height, width, images.device).index_select(0, codes)
    flat = images.reshape(batch, channels, height * width)
    return flat.gather(2, index.unsqueeze(1).expand(batch, channels, -1)).view(images.shape)


def render(images: torch.Tensor, flips: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """``images`` (B, C, H, W) flipped, then shifted, row by row (edges repeated, not zeros)."""
    return render_codes(images, transform_codes(flips, shifts))


def view_of(inputs: torch.Tensor, plan: ViewPlan, view: int | torch.Tensor,
            rows: torch.Tensor) -> torch.Tensor:
    """View ``view`` (one index, or one per row) of ``inputs[rows]``."""
    return render_codes(inputs.index_select(0, rows), plan.codes[view, rows])


def predict_views(predict: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                  plan: ViewPlan, chunk: int = 1024) -> torch.Tensor:
    """``predict`` on every view of every image, view by view: (views * images, classes)."""
    outputs = []
    for view in range(plan.count):
        for rows in torch.arange(inputs.shape[0], device=inputs.device).split(chunk):
            outputs.append(predict(view_of(inputs, plan, view, rows)))
    return torch.cat(outputs)


def needs_images(input_shape: tuple[int, ...]) -> str | None:
    """Why views cannot be drawn for inputs of this shape, or None."""
    if len(input_shape) != 3:
        return (f"needs images (channels, height, width); this dataset's inputs have shape "
                f"{input_shape}")
    return None


@dataclass(frozen=True)
class ViewTrainSet(TrainSet):
    """A TrainSet over (image, view) pairs: position p is view ``p // rows`` of row ``p % rows``.

    ``extras`` are laid out view by view over all ``inputs`` (row ``v * len(inputs) + i``),
    so a target travels with the view it was computed on.
    """

    plan: ViewPlan | None = field(default=None)

    def __len__(self) -> int:
        assert self.plan is not None
        return self.plan.count * int(self.rows.shape[0])

    @property
    def images(self) -> int:
        """Rows without views: what the caller's steps per epoch are counted on."""
        return int(self.rows.shape[0])

    def take(self, positions: torch.Tensor, progress: Progress | None = None,
             prepared: Mapping[str, torch.Tensor] | None = None) -> Batch:
        """The batch of (image, view) pairs at ``positions``; its positions are the images'."""
        assert self.plan is not None
        views, local, rows = self._locate(positions)
        inputs = render_codes(self.inputs.index_select(0, rows), self.plan.codes[views, rows])
        return Batch(inputs, self.labels.index_select(0, rows),
                     {**self._view_extras(views, rows), **(prepared or {})},
                     self.fully_labeled, local, progress or Progress())

    def rows_and_extras(self, positions: torch.Tensor
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The images' rows, and the extras of the views at ``positions``."""
        views, _local, rows = self._locate(positions)
        return rows, self._view_extras(views, rows)

    def _locate(self, positions: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(view, image position, dataset row) of each position."""
        views = positions.div(self.images, rounding_mode="floor")
        local = positions - views * self.images
        return views, local, self.rows.index_select(0, local)

    def _view_extras(self, views: torch.Tensor, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        flat = views * self.inputs.shape[0] + rows  # extras are laid out view by view
        return {name: tensor.index_select(0, flat) for name, tensor in self.extras.items()}
