"""Known-image hash matching: hashing (pure, runs where the images are), banks and the index.

`mamoru.matching.hashing` and `mamoru.matching.crops` need only Pillow, NumPy and pdqhash, so a
platform can import them without the rest of mamoru's dependencies being used. Nothing here imports
the database or the web app at import time.
"""
