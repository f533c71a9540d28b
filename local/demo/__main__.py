"""`python -m local.demo` (`make demo`): see local/demo/runner.py."""

import sys

from local.demo.runner import main

sys.exit(main())
