import sys

from gradeloop.cli import main

sys.exit(main())
