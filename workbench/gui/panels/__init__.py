"""The panels of the main window, one idea each."""
