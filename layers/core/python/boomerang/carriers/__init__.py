"""Carriers: return labels and tracking, behind one port."""
