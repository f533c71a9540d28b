"""Outbound parcels, from the warehouse to the customer's door (issue 21): fulfilments in
(fulfilments.py), carrier news folded into one status per parcel (progress.py), the customer's
messages (notices.py), the delay watch (watch.py), what the tracking endpoint shows (view.py) and
"where is my order" tickets answered from it (answers.py)."""
