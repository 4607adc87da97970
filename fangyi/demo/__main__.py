"""``python -m fangyi.demo OUT_DIR [--seed N] [--clean]``"""

from . import main

main()
