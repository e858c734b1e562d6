"""The evaluation harness: run a submission (timed), validate, score."""
