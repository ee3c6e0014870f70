"""``autocapture demo``: a small example service whose failures autocapture reports."""
