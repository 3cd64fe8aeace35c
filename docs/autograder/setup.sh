#!/usr/bin/env bash
# Gradescope's autograder setup for the tinygrad_rnn exercises: runs once, when the autograder image
# is built. Put this file, run_autograder and the wheel (python3 -m pip wheel --no-deps -w . /path/to/
# tinygrad_rnn) in the autograder zip; Gradescope unpacks it into /autograder/source/.
set -euo pipefail
apt-get update && apt-get install -y python3 python3-pip      # Python >= 3.10 (Ubuntu 22.04 or later)
python3 -m pip install /autograder/source/tinygrad_rnn-*.whl
