"""Demo and evaluation data: a Socialverse-shaped generator with a known ground truth.

    from videorec.datagen import DEMO_CONFIG, generate, load_truth, oracle_relevance

    paths = generate(DEMO_CONFIG, out="var/demo")      # the six served files + truth/
    truth = load_truth("var/demo")
    scores = oracle_relevance(truth, user_ids, post_ids)  # shape (n_users, n_posts)

The defaults reproduce the real 2024-12 global logs (`targets` has the figures and how they
were computed): views : likes : inspires : ratings = 5,534 : 1,234 : 210 : 2,803; rating_percent
mean 29 with the real 10-bin histogram; 31% of users inactive, and the median user with a view
has 2 views. The behaviour model (taste -> picks -> signals) is described in `truth`, `choice`
and `signals`.
"""

from videorec.datagen.config import DEMO_CONFIG, GeneratorConfig
from videorec.datagen.generate import (
    GeneratedPaths,
    ensure_generated,
    generate,
    is_generated,
    kind_counts,
    paths_of,
)
from videorec.datagen.truth import Truth, load_truth, oracle_ranking, oracle_relevance

__all__ = [
    "DEMO_CONFIG",
    "GeneratedPaths",
    "GeneratorConfig",
    "Truth",
    "ensure_generated",
    "generate",
    "is_generated",
    "kind_counts",
    "load_truth",
    "oracle_ranking",
    "oracle_relevance",
    "paths_of",
]
