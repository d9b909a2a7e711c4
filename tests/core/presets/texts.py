"""Preset texts shared by the preset tests."""

GOOD = """\
schema: 1
kind: experiment
name: tiny
teacher: synthetic-cnn
student: synthetic-mlp
data: {dataset: synthetic, val_size: 100}
"""
