"""The cold-chain suite: its checks (*.sql beside this file) and the batch trace (trace.py),
the Python that reads the ledgers' tables and what the check run derives from them."""
