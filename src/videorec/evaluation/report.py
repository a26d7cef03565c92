"""Write a `Report` as JSON, Markdown and PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from videorec.evaluation.offline import Report  # noqa: E402

TABLE_METRICS = (
    "ndcg@10",
    "recall@10",
    "hr@10",
    "mrr@10",
    "ndcg@50",
    "recall@50",
    "hr@50",
    "mrr@50",
    "coverage@10",
    "novelty@10",
    "gini@10",
    "pool-recall@300",
    "ndcg@10/oracle",
)
PLOT_METRICS = ("ndcg@10", "recall@10", "ndcg@50", "recall@50")


def stem(report: Report) -> str:
    """File name stem, e.g. `movielens-100k-random-811`."""
    return f"{report.dataset}-{report.protocol}"


def write_all(report: Report, out_dir: Path) -> list[Path]:
    """Write `<stem>.json`, `<stem>.md` and `<stem>.png` under out_dir; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / stem(report)
    paths = [base.with_suffix(".json"), base.with_suffix(".md"), base.with_suffix(".png")]
    payload = {**asdict(report), "summary": report.summary()}
    paths[0].write_text(json.dumps(payload, indent=2, default=float))
    paths[1].write_text(markdown(report, image=paths[2].name))
    plot(report, paths[2])
    return paths


def markdown_table(report: Report) -> str:
    """The mean ± std table, one row per model, best value of each column in bold."""
    summary = report.summary()
    columns = [m for m in TABLE_METRICS if any(m in v for v in summary.values())]
    best = {c: max(v[c][0] for v in summary.values() if c in v) for c in columns}
    lines = [
        "| model | " + " | ".join(columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for model, values in summary.items():
        cells = []
        for c in columns:
            if c not in values:
                cells.append("-")
                continue
            mean, std = values[c]
            cell = f"{mean:.4f} ± {std:.4f}"
            bold = c in ("ndcg@10", "recall@10", "ndcg@50", "recall@50") and mean == best[c]
            cells.append(f"**{cell}**" if bold else cell)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(report: Report, image: str | None = None) -> str:
    """A self-contained Markdown report."""
    info = ", ".join(f"{k} {v:,}" for k, v in report.info.items())
    parts = [
        f"# Evaluation: {report.dataset}, {report.protocol}",
        "",
        f"Seeds {report.seeds} (mean ± std over {len(report.seeds)} runs). Full ranking over "
        "every item; each user's training and validation items excluded. Split: " + info + ".",
        "",
        markdown_table(report),
        "",
        "Chosen configurations (per run):",
        "",
    ]
    parts += [f"- {model}: {params}" for model, params in report.params.items()]
    if image:
        parts += ["", f"![{stem(report)}]({image})"]
    return "\n".join(parts) + "\n"


def plot(report: Report, path: Path) -> None:
    """Grouped bars with std error bars for the main accuracy metrics."""
    summary = report.summary()
    models = list(summary)
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=90)
    width = 0.8 / max(len(models), 1)
    for i, model in enumerate(models):
        means = [summary[model].get(m, (0.0, 0.0))[0] for m in PLOT_METRICS]
        stds = [summary[model].get(m, (0.0, 0.0))[1] for m in PLOT_METRICS]
        xs = [j + (i - (len(models) - 1) / 2) * width for j in range(len(PLOT_METRICS))]
        ax.bar(xs, means, width, yerr=stds, capsize=2, label=model)
    ax.set_xticks(range(len(PLOT_METRICS)), PLOT_METRICS)
    ax.set_title(f"{report.dataset} ({report.protocol}, {len(report.seeds)} runs)")
    ax.legend(fontsize=8, ncols=min(len(models), 5), loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
