"""The ticket classifier: language and category of a ticket on arrival (`model`, pure Python at
run time, weights in `classifier_model.json`) and its training (`training`, numpy, development only)."""
