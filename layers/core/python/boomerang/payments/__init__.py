"""Payments: refunds, behind one port."""
