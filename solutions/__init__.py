"""Reference solutions: the single source of every kernel (lib/ is generated from here)."""
