#!/usr/bin/env bash
# What ran on the borrowed GPU (one NVIDIA H200, one command of at most 10 minutes), from the
# project root, with the Training + PublicTest faces of FER2013 carried in (PrivateTest never
# left this machine): four teachers side by side, then four students distilled from them.
# Both phases end by a deadline; each member plans its epochs from its measured pace.
# Everything PrivateTest-related (calibration, scoring, export) happens afterwards on the CPU.
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
RUN=${RUN:-/tmp/run}
WORK=${WORK:-/tmp/work}
DATA=${DATA:-.data/fer2013-train-public.tar.xz}
DEVICE=${DEVICE:-cuda}
TEACHERS=${TEACHERS:-vgg-l:2,vgg-m:1,vgg-d:1}
STUDENTS=${STUDENTS:-vgg-s:3,vgg-m:1}
TEACHER_BUDGET=${TEACHER_BUDGET:-285}
END=${END:-540}      # seconds after the start by which the students are written
VIEWS=${VIEWS:-40}
mkdir -p "$OUT" "$RUN"
T0=$(date +%s)
python3 -c 'import torch, numpy, cv2; print("torch", torch.__version__, "numpy", numpy.__version__, "cv2", cv2.__version__,
"device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")'
echo "cpus: $(nproc)"
(sleep 90; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv 2>/dev/null) &

python3 -m emotion.train_members --data "$DATA" --device "$DEVICE" --members "$TEACHERS" --budget "$TEACHER_BUDGET" \
    --views "$VIEWS" --seed 100 --prefix teacher --out "$RUN/teachers" --work-dir "$WORK" --quiet 2>&1 | tee "$OUT/teachers.log"
# Each file back from the machine is at most 16 MiB: two tars of teachers.
(cd "$RUN/teachers" && tar cf "$OUT/teachers-a.tar" members.json *.fit.json *.history.csv \
    $(ls *.pt 2>/dev/null | grep -v -- '-vgg-l-s101\|-vgg-m-' ) ;
 tar cf "$OUT/teachers-b.tar" $(ls *.pt 2>/dev/null | grep -- '-vgg-l-s101\|-vgg-m-') 2>/dev/null)
echo "teachers done after $(( $(date +%s) - T0 )) s"

LEFT=$(( END - ($(date +%s) - T0) ))
python3 -m emotion.train_members --data "$DATA" --device "$DEVICE" --members "$STUDENTS" --budget "$LEFT" \
    --views "$VIEWS" --seed 100 --prefix student --out "$RUN/students" --work-dir "$WORK" --quiet \
    --teachers $(ls "$RUN"/teachers/*.pt 2>/dev/null) 2>&1 | tee "$OUT/students.log"
(cd "$RUN/students" && tar cf "$OUT/students.tar" members.json *.fit.json *.history.csv *.pt)
echo "students done after $(( $(date +%s) - T0 )) s"
ls -la "$OUT"
