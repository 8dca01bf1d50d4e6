"""Image generators written apart from ``ml``'s own, each by an engineer who never read the others.

Each module renders one laboratory's look of the same objects with exact ground truth. Training on
several of them (beside ``ml``'s own generator) keeps a network from learning one generator's
quirks. Generators kept out of training, and out of this repository, measure how the analyzers
fare on a look they have never seen (``bench/ml_independent.py``).
"""
