"""Templated insight text: every number in it comes from the computed facts."""

TEMPLATES = {
    "anomaly": (
        "{metric} {moved} in the week of {week}",
        "{metric} was {value} in the week of {week}, against a typical {expected} over the {weeks} weeks before.",
    ),
    "alert": (
        "Failed deployments rose in the week of {week}",
        "{value} deployments failed in the week of {week}; the {weeks} weeks before averaged {expected} a week.",
    ),
    "trend": (
        "{metric} is trending {direction}",
        "{metric} moved {direction} by about {slope} a week over the last {weeks} weeks (from {first} to {last}).",
    ),
}
RECOMMENDATIONS = {
    "lead_time_median_seconds": (
        "Changes wait more than a week to ship",
        "The median lead time for changes was {median}: {over} of {changes} changes shipped more than a week "
        "after they were written.",
        [
            "Release smaller batches more often",
            "Cut a release when a fix lands instead of waiting for the next planned one",
            "Look for steps between merge and release that wait on people",
        ],
    ),
    "change_failure_rate": (
        "Too many releases need a fix soon after",
        "{failed} of {deployments} deployments ({rate}) were reverted or followed by a patch release.",
        [
            "Review what the failed releases had in common",
            "Add tests or a pre-release check for the areas that were patched",
            "Ship smaller releases so a failure is cheaper to find and undo",
        ],
    ),
}
ACTIONS = {
    ("deployments", "down"): ["Check what is holding releases back", "Look for a blocked or frozen release branch"],
    ("lead_time_median_seconds", "up"): [
        "Check whether a release waited on a large batch of changes",
        "Look for reviews or builds that slowed down",
    ],
    ("failed", "up"): ["Review the reverted or patched releases", "Check what the failed releases changed"],
    ("prs_merged", "down"): ["Check for a review backlog", "Look at team capacity that week (holidays, incidents)"],
    ("pr_lead_time_median_seconds", "up"): [
        "Look for pull requests waiting on review",
        "Split large pull requests",
    ],
}
GOOD_NEWS = ["Note what changed, so it can be kept"]


def format_value(value: float, kind: str) -> str:
    """A count as a number (one decimal when fractional); a duration in hours or days."""
    if kind == "duration":
        hours = value / 3600
        return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def describe(kind: str, metric: str, direction: str, facts: dict) -> tuple[str, str, list[str]]:
    """(title, description, suggested actions) for an insight, from its facts."""
    if kind == "recommendation":
        title, description, actions = RECOMMENDATIONS[metric]
        return title, description.format(**facts), list(actions)
    title, description = TEMPLATES[kind]
    words = {**facts, "direction": direction, "moved": "dropped" if direction == "down" else "jumped"}
    return title.format(**words), description.format(**words), list(ACTIONS.get((metric, direction), GOOD_NEWS))
