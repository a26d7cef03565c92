#!/bin/bash
# bench/train.py on a lent GPU machine, with the same machine's CPU as the reference (issue 12;
# bench/results/2026-11-27-gpu.md). Run from the repository root there, with the project's
# packages importable (PYTHONPATH=src plus any missing wheels).
set -x
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
BF16=$(mktemp --suffix .toml); printf '[two_tower]\nprecision = "bfloat16"\n' > "$BF16"
python3 bench/train.py --device cuda --threads 0 --sizes 200000 10000000 --steps 400
python3 bench/train.py --device cuda --threads 0 --sizes 10000000 --steps 400 --config configs/train/default.toml
python3 bench/train.py --device cuda --threads 0 --sizes 10000000 --steps 400 --config "$BF16"
timeout 120 python3 bench/train.py --device cpu --threads 0 --sizes 10000000 --steps 40
