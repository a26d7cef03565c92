"""Baseline recommenders behind one small `Recommender` protocol, and their tuning grids."""
