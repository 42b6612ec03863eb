"""``python -m gankit.course build --out DIR``: the student and instructor builds."""

import sys

from gankit.course.build import main

if __name__ == "__main__":
    sys.exit(main())
