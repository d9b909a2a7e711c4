"""Options about where a method's targets come from, shared by every method.

They belong to the run's teachers, not to one method: how several teachers are
fused and how many fixed views of each image they are asked about. The experiment
preset accepts them in ``distill`` for every method; the engine applies them.
"""
from __future__ import annotations

from workbench.core.config.params import Param
from workbench.core.distill.fusion import FUSION

MAX_VIEWS = 16

VIEWS = Param("views", "int", 1, "fixed augmented views (flips, shifts of up to 2 pixels) of "
              "every training image, each taught with the teacher's output on that view; "
              "the student and the baseline see the same views, with the same steps per "
              "epoch (1 = the images as they are)", minimum=1, maximum=MAX_VIEWS)

TEACHER_PARAMS = (FUSION, VIEWS)
