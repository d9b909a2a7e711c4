"""Green distillation: quantization-aware distillation and pruning with distillation."""
