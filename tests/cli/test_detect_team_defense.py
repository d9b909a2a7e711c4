"""``detect --evaluate --defense teacher=[T,OTHER]``: several teachers as a defense."""
from __future__ import annotations

from workbench.cli.commands.detect_cmd import _defense_levels
from workbench.cli.main import main


def test_a_teacher_list_is_one_level_and_stays_a_top_level_key() -> None:
    assert _defense_levels("teacher=[fashion-cnn-teacher,fashion-cnn]") == [
        "teacher=[fashion-cnn-teacher,fashion-cnn]"]
    assert _defense_levels("teacher=[a,b],[a,c]") == ["teacher=[a,b]", "teacher=[a,c]"]
    assert _defense_levels("teacher_noise=1,3") == ["distill.teacher_noise=1",
                                                   "distill.teacher_noise=3"]


def test_a_bad_member_is_refused_before_anything_trains(capsys) -> None:
    code = main(["detect", "--evaluate", "fashion-kd", "--defense",
                 "teacher=[fashion-cnn-teacher,no-such-teacher]"])
    err = capsys.readouterr().err
    assert code == 2 and "teacher[1]" in err and "Traceback" not in err
