"""Experiments: jobs that train and evaluate several runs under one protocol (the paper's tables)."""
