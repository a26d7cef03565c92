#!/bin/bash
# `videorec train --device cuda` on the generated demo, as run on a lent GPU machine (issue 12;
# bench/results/2026-11-27-gpu.md). Run from the repository root there, with the project's
# packages importable (PYTHONPATH=src plus any missing wheels) and, optionally, a warm
# text-embedding cache at $CACHE (the encoder package may be absent on the GPU image).
set -x
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
VR() { python3 -c 'import sys; from videorec.cli import main; sys.argv[0]="videorec"; main()' "$@"; }
G=${WORK:-/tmp/g}; mkdir -p "$G/v"
[ -n "$CACHE" ] && cp "$CACHE" "$G/v/embeddings.npz"
export VIDEOREC_DATABASE_URL=sqlite:///$G/demo.db VIDEOREC_VAR_DIR=$G/v
VR generate --out "$G/demo" > "$G/gen.log" 2>&1; tail -1 "$G/gen.log"
python3 - "$G/demo" > "$G/ingest.log" 2>&1 <<'PY'
import sys
from pathlib import Path
from rich.console import Console
from videorec.bootstrap import ingest_folder
from videorec.kit.db import make_engine
from videorec.settings import Settings
from videorec.storage import migrate
engine = make_engine(Settings().database_url)
migrate.upgrade(engine)
ingest_folder(Path(sys.argv[1]), engine, Console())
PY
tail -1 "$G/ingest.log"
s=$(date +%s.%N); VR train --device cuda 2>&1 | tail -40; e=$(date +%s.%N)
echo "TRAIN_CUDA_WALL $(python3 -c "print(round($e-$s,1))") s"
