"""An example backend in the shape of the audited one: provider clients, db, payments, jobs.

The demo runs it; ``autocapture audit`` reads it. Nothing here talks to a network or a
database: each function fails the way its real counterpart does.
"""
