"""Proposals and approvals: maker-checker over everything that moves money or prices it."""
