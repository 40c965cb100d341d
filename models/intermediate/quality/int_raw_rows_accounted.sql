{#
    Where every raw row went, per raw table: used (in the staging model;
    for video_metrics, int_video_metrics_deltaed),
    superseded (a later delivery of the same key replaced it: a duplicate
    poll or cost_id, a revenue restatement) or quarantined (unusable; listed
    by stg_<source>__<table>_quarantined with its reason). The invariant, tested by
    tests/singular/raw_rows_accounted_for.sql over the test window:

        raw_rows = used_rows + superseded_rows + quarantined_rows

    raw_rows and superseded_rows come from the table's base model, which
    classifies every raw row (superseded = usable rows minus distinct usable
    keys); used_rows and quarantined_rows are the row counts of
    the staging and quarantine relations. So the test fails when staging
    drops, keeps twice or invents a row, or a quarantine relation misses one.

    For video_metrics two subsets of the used polls are counted as well:
    late_arrival_rows (delivered after a poll of the same video captured
    later had been delivered) and counter_correction_rows (a counter below
    the previous poll's, handled by int_video_metrics_deltaed); null for the
    other tables.

    The counting is macro raw_rows_accounting, shared with that test.
    Reads the base models, not the sources: the rows they classify are the
    raw rows, and the rule that split them is written once, there. A view:
    it costs nothing on the 5-minute refresh; reading it scans the raw tables.

    Its post-hook drops the polls' staging table of earlier versions, which
    this view read until now (macro drop_retired_relations).
#}

{{ config(post_hook="{{ drop_retired_relations() }}") }}

{{ raw_rows_accounting() }}
