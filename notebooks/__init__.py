"""The auditors' notebooks (*.ipynb), installed as package data so that `fangyi report` finds them."""
