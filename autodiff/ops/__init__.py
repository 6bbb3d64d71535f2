"""The differentiable ops, grouped by family, and the registry that the property test reads."""
