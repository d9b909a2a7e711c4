"""Figures about models: size, speed, memory, FLOPs, int8, tables, export, soft-label preview."""
