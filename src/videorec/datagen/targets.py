"""Statistics of the real Socialverse logs that the generator's defaults reproduce.

Computed from `../shared/socialverse/samples/global-logs-2024-12` (captured 2024-12-07: the
complete global view, like, inspire and rating logs and all 1,207 users):

- Rows per log: 5,534 views, 1,234 likes, 210 inspires, 2,803 ratings, so of every 100
  interaction rows 56.6 are views, 12.6 likes, 2.1 inspires and 28.7 ratings.
- `rating_percent`: mean 29.1, median 21; its histogram over ten bins of width 10 is
  `RATING_HISTOGRAM` (a third of all ratings fall in 10-19).
- Activity is heavily skewed: 831 of the 1,207 users appear in any log (31% never do); among the
  778 users with a view the median has 2 views, 51% have at most 2, the mean is 7.1 and the
  heaviest has 223.
- A like, inspire or rating is on a post the same user viewed in 48%, 46% and 63% of rows in the
  real logs. The generator makes that "most" (`ENGAGED_WITHOUT_VIEW_SHARE`), because a like
  without a view is a logging artefact, not behaviour a model should learn.
"""

from __future__ import annotations

from typing import Final

REAL_LOG_COUNTS: Final[dict[str, int]] = {
    "view": 5534,
    "like": 1234,
    "inspire": 210,
    "rating": 2803,
}
"""Rows per log in the real 2024-12 capture."""

KIND_SHARES: Final[dict[str, float]] = {
    kind: count / sum(REAL_LOG_COUNTS.values()) for kind, count in REAL_LOG_COUNTS.items()
}
"""Share of each log among all interaction rows (sums to 1)."""

RATING_HISTOGRAM: Final[tuple[int, ...]] = (237, 995, 753, 230, 126, 105, 130, 77, 50, 100)
"""Real `rating_percent` counts in bins [0,10), [10,20), ..., [80,90), [90,100] (100 included)."""

RATING_MEAN: Final[float] = 29.14
"""Mean real `rating_percent`."""

INACTIVE_USER_SHARE: Final[float] = 376 / 1207
"""Share of users that appear in no log at all."""

LIGHT_VIEWER_SHARE: Final[float] = 0.51
"""Among users with at least one view, the share with at most two views."""

MEDIAN_VIEWS_PER_VIEWER: Final[int] = 2
"""Median views of a user with at least one view."""

ENGAGED_WITHOUT_VIEW_SHARE: Final[float] = 0.1
"""Share of like/inspire/rating rows whose post the user has no logged view of."""
