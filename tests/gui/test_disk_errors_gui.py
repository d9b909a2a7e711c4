"""The window with a runs folder that cannot be written: a dialog before anything starts."""
from __future__ import annotations

from pathlib import Path

RUN_TIMEOUT_MS = 120_000


def test_an_unwritable_runs_folder_is_a_dialog_not_a_run(window, qtbot, tiny_preset,
                                                        tmp_path: Path) -> None:
    from workbench.gui import dialogs

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    window.runs_dir = blocker / "runs"
    assert window.load_preset(str(tiny_preset))
    with qtbot.waitSignal(window.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert finished.args == ["invalid", 2]  # refused before the run, as the CLI's exit 2
    text = dialogs.LAST[0].informativeText()
    assert f"{blocker / 'runs'}: the runs folder cannot be written (Not a directory)" in text
    assert "Traceback" not in text
    assert window.progress.run_button.isEnabled() and window.worker is None
    assert blocker.read_text() == "x"
