"""The static audit behind ``autocapture audit``: are a code base's errors tracked?

The audit parses Python files with :mod:`ast` and never imports or runs them.

- ``_model``: the frozen report types (:class:`AuditReport` and its parts).
- ``_options``: what the audit is told (layers, excludes, helper names, assumptions).
- ``_files``: which files are read, and the layer of each.
- ``_visitor``: one pruned walk per module that gathers the raw facts.
- ``_engine``: files -> facts -> assumptions -> classified handlers and gaps.
- ``_assumptions``: what the code base says about its tracker (Sentry setup, middleware).
- ``_gaps``: one module's verdict: handlers judged, background starts, gaps located.
- ``_report`` and ``_sarif``: the text, JSON and SARIF 2.1.0 renderings.
- ``_html`` and ``_html_page``: the static HTML report (index and file pages), from the JSON
  document; ``_html_static`` holds its stylesheet and script.
- ``cli``: the ``autocapture audit`` command line; ``_arguments`` its parser.

This package imports nothing outside the standard library.
"""
