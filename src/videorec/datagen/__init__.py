"""Demo and evaluation data: a Socialverse-shaped generator with a known ground truth.

    from videorec.datagen import DEMO_CONFIG, generate, load_truth, oracle_relevance

    paths = generate(DEMO_CONFIG, out="var/demo")      # the six served files + truth/
    truth = load_truth("var/demo")
    scores = oracle_relevance(truth, user_ids, post_ids)  # shape (n_users, n_posts)

The defaults reproduce the real 2024-12 logs' shares, rating histogram and activity skew
(`targets`); the behaviour model is described in `truth` and `choice`.
"""

from videorec.datagen.config import DEMO_CONFIG, GeneratorConfig
from videorec.datagen.generate import GeneratedPaths, generate, is_generated, kind_counts, paths_of
from videorec.datagen.truth import Truth, load_truth, oracle_ranking, oracle_relevance

__all__ = [
    "DEMO_CONFIG",
    "GeneratedPaths",
    "GeneratorConfig",
    "Truth",
    "generate",
    "is_generated",
    "kind_counts",
    "load_truth",
    "oracle_ranking",
    "oracle_relevance",
    "paths_of",
]
