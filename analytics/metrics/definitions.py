"""The metric definitions as the dashboard states them (and the README repeats)."""

DEFINITIONS = (
    (
        "Deployment",
        "A release tag: its name is a version (an optional v, then digits and dots, like 2.3.1), not a "
        "prerelease (rc, a, b, dev) and not a branch archive like 2.3.x. Its time is the tagger date, else the "
        "GitHub release's publication date, else its commit's committed date. A repository may count each pull "
        "request merged into its default branch instead.",
    ),
    (
        "Commits of a deployment",
        "The commits reachable from its tag and from no earlier deployment: each commit counts once, in the first "
        "release that contains it, so parallel release lines never count it twice. Merge commits are not counted.",
    ),
    (
        "Lead time for changes",
        "Deployment time minus each commit's authored time, pooled over the window's deployments: median and "
        "75th percentile. A commit authored after its deployment time counts as 0.",
    ),
    (
        "Deployment frequency",
        "Deployments per week, and DevLake's measure: the median over the window's ISO weeks of the days with a "
        "deployment (months likewise). Elite: 7 or more days a week; high: at least 1 day a week; medium: at "
        "least 1 day a month; else low.",
    ),
    (
        "Change failure rate",
        "Failed deployments / deployments. A deployment fails when a later deployment first includes a commit that "
        "says 'This reverts commit <sha>' of one of its commits, or when a patch release of the same major.minor "
        "follows within 14 days (a setting per repository). Elite: up to 5 %; high: 10 %; medium: 15 %; else low.",
    ),
    (
        "Time to restore",
        "From a failed deployment to the first later deployment that holds the fix (the revert, or the patch "
        "release); median. Elite: under an hour; high: under a day; medium: under a week; else low.",
    ),
    (
        "Lead time levels",
        "Median lead time under a day: elite; under a week: high; under a month: medium; else low (DevLake, from "
        "the 2023 State of DevOps report).",
    ),
    (
        "Flow",
        "Pull requests merged per week; pull request lead time (merged minus its first commit's authored time, or "
        "the time it was opened when Pulse holds none of its commits); review wait (opened to first review, where "
        "reviews exist); issues resolved per week; work in progress (open pull requests, issues in progress).",
    ),
    (
        "Buckets and windows",
        "Weeks are ISO weeks (Monday) and months are calendar months, in UTC. A window counts the events inside it; "
        "the frequency medians use every week or month that overlaps it.",
    ),
)
