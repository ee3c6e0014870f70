"""Tests of ``autocapture audit``: the fixture code base and the command line."""
