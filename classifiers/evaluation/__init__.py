"""Measure the classifiers against public labelled datasets and their published results.

``datasets`` reads the data files, ``cache`` keeps embeddings on disk, ``metrics`` scores,
``suite`` runs the protocols. Nothing here needs a database or the network; the datasets are
read from a folder given at run time and never copied into the package.
"""
