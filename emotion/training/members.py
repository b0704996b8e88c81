"""Several networks trained at once on one device within a time budget: the members of an
ensemble, or students distilled from one.

Why this exists: a borrowed GPU comes for minutes, and one small net (vgg-s at batch 128) keeps
it mostly idle, bound by kernel launches rather than arithmetic. Members trained side by side in
their own processes fill it. Each process trains from the shared view bank (`bank.py`: the
faces pre-rendered in K augmented views, kept on the device), measures its own speed once the
others are running too, and picks the number of epochs that fits the budget, so that its
one-cycle schedule ends in time instead of being cut off. Selection is on PublicTest, as in
`fit.py`: each member keeps its best epoch there. Nothing here scores PrivateTest or exports:
that is done where TensorFlow is installed, by `python -m emotion ensemble` (merging into the
shipped file) and `python -m emotion evaluate`.

Distillation: given teacher nets (their NAME.pt files), the teacher is scored once on every
view of the bank (each member on the view and its mirror image, members weighted as chosen on
PublicTest), and every student learns from those soft targets on exactly those pixels.
"""

from __future__ import annotations

import copy
import hashlib
import json
import multiprocessing as mp
import platform
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from ..errors import UsageError
from ..io.files import write_json_atomic
from . import bank, nets
from .augment import AugmentConfig
from .artefacts import write_history
from .engine import (RECIPES, Distillation, Trainer, autocast, load_weights, one_hot, recipe_dict, resolve_precision,
                     save_weights, soft_targets)
from .ensembles import best_weights, load_net

WARMUP_STEPS = 15  # not timed: cuDNN picks its algorithms and the other members start
TIMED_STEPS = 40
SAFETY = 0.9  # share of the measured pace the epoch count plans on
TEACHER_TARGETS = "targets.npy"


@dataclass(frozen=True)
class MemberJob:
    name: str
    arch: str
    seed: int
    deadline: float  # time.time() by which the member's files must be written
    max_epochs: int
    mixup: float | None = None  # None: the architecture's recipe
    targets: Path | None = None  # (n, 7) or (views, n, 7) .npy of soft targets; None: the smoothed labels
    init: Path | None = None  # start from these weights (NAME.pt of the same architecture)
    lr: float | None = None  # peak learning rate; None: the recipe's (a fine-tune from `init` wants less)
    augment: AugmentConfig | None = None  # how the bank was rendered (recorded in the card); None: the recipe's


def parse_members(text: str, prefix: str, first_seed: int = 0) -> list[tuple[str, str, int]]:
    """"vgg-m:2,vgg-d:1" -> [(name, arch, seed), ...]: names PREFIX-ARCH-SEED, seeds counted up."""
    out, seed = [], first_seed
    for part in (p.strip() for p in text.split(",") if p.strip()):
        arch, _, count = part.partition(":")
        nets.spec(arch)  # unknown architectures fail here, before any work
        try:
            n = int(count or 1)
        except ValueError:
            raise UsageError(f"{part!r}: expected ARCH or ARCH:COUNT") from None
        for _ in range(n):
            out.append((f"{prefix}-{arch}-s{seed}", arch, seed))
            seed += 1
    if not out:
        raise UsageError(f"no members in {text!r}")
    return out


def flip_probabilities_on(net, faces: torch.Tensor, precision: str = "fp32", batch: int = 4096) -> torch.Tensor:
    """(n, 7) softmax averaged over each face and its mirror image, for (n, 48, 48) uint8 faces
    already on the net's device (no host round trip: the teacher scores millions of views)."""
    net.eval()
    out = []
    with torch.inference_mode(), autocast(precision, faces.device.type):
        for start in range(0, len(faces), batch):
            x = faces[start : start + batch].float()[:, None]
            p = torch.softmax(net(x).float(), 1) + torch.softmax(net(x.flip(-1)).float(), 1)
            out.append(p / 2)
    return torch.cat(out)


def _measure(trainer: Trainer, bank_t: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator) -> float:
    """Training images per second of this member while the others run beside it (a few seconds
    at most, after an untimed warm-up)."""
    size, n = trainer.recipe.batch_size, bank_t.shape[1]
    sync = torch.cuda.synchronize if bank_t.device.type == "cuda" else (lambda: None)

    def steps(count: int, seconds: float) -> tuple[int, float]:
        sync()
        started, done = time.perf_counter(), 0
        while done < count and (done < 2 or time.perf_counter() - started < seconds):
            idx = torch.from_numpy(rng.integers(0, n, size)).to(bank_t.device)
            x = bank.as_input(bank_t[0, idx].float(), trainer.recipe.channels_last)
            trainer.step(x, targets[0, idx] if targets.ndim == 3 else targets[idx])
            done += 1
        sync()
        return done, time.perf_counter() - started

    steps(WARMUP_STEPS, 5.0)
    done, seconds = steps(TIMED_STEPS, 5.0)
    return done * size / seconds


def fit_member(job: MemberJob, work: Path, out: Path, device: str, start) -> dict:
    """Train one member from the bank in `work`; write NAME.pt, NAME.history.csv, NAME.fit.json."""
    targets_file = job.targets
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    data = np.load(work / "faces.npz")
    bank_t = torch.from_numpy(np.load(work / "bank.npy")).to(device)
    if targets_file is None:
        targets = torch.from_numpy(one_hot(data["train_y"], RECIPES[job.arch].label_smoothing)).to(device)
    else:
        targets = torch.from_numpy(np.load(targets_file).astype(np.float32)).to(device)
    recipe = RECIPES[job.arch] if job.mixup is None else replace(RECIPES[job.arch], mixup=job.mixup)
    recipe = recipe if job.lr is None else replace(recipe, lr=job.lr)
    recipe = recipe if job.augment is None else replace(recipe, augment=job.augment)
    n, steps = bank_t.shape[1], -(-bank_t.shape[1] // recipe.batch_size)
    rng = np.random.default_rng(job.seed)
    start.wait(timeout=600)  # every member starts together, so each measures its pace beside the others
    began = time.time()
    pace = _measure(Trainer(recipe, steps, job.seed, device), bank_t, targets, rng)
    # val_y: what selection scores against (the FER2013 label, or the crowd's majority with --votes)
    val_x, val_y = torch.from_numpy(data["val_x"]).to(device), data["val_y"]
    # An epoch's validation pass costs about a third of a training pass over PublicTest's faces, twice.
    per_epoch = (n + 0.7 * len(val_y)) / pace
    epochs = int(max(1, min(job.max_epochs, SAFETY * (job.deadline - time.time() - 10) / per_epoch)))
    recipe = replace(recipe, epochs=epochs)
    trainer = Trainer(recipe, steps, job.seed, device)
    if job.init is not None:
        trainer.net.load_state_dict(load_weights(job.init, job.arch))
    history, best = [], {"epoch": 0, "val_accuracy": -1.0, "model": None}
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss = bank.bank_epoch(trainer, bank_t, targets, rng)
        seconds = time.perf_counter() - t0
        probs = flip_probabilities_on(trainer.net, val_x).cpu().numpy()
        acc = float((probs.argmax(1) == val_y).mean())
        if recipe.schedule == "plateau":
            trainer.schedule.step(float(-np.mean(np.log(np.clip(probs[np.arange(len(val_y)), val_y], 1e-12, None)))))
        history.append({"epoch": epoch, "loss": round(loss, 5), "val_accuracy": round(acc, 5),
                        "lr": trainer.optimizer.param_groups[0]["lr"], "images_per_s": round(n / seconds, 1)})
        if acc > best["val_accuracy"]:
            best = {"epoch": epoch, "val_accuracy": acc, "model": copy.deepcopy(trainer.net.state_dict())}
        print(f"{job.name}: epoch {epoch}/{epochs}, loss {loss:.4f}, PublicTest {acc * 100:.2f}%, "
              f"{n / seconds:.0f} images/s", flush=True)
        if time.time() > job.deadline - 8:  # slower than measured: stop, keep the best epoch so far
            break
    trainer.net.load_state_dict(best["model"])
    trainer.net.to("cpu")
    save_weights(trainer.net, out / f"{job.name}.pt")
    write_history(out / f"{job.name}.history.csv", history)
    card = {"name": job.name, "arch": job.arch, "seed": job.seed, "recipe": recipe_dict(recipe),
            "precision_used": trainer.precision, "device": _device_name(device), "bank_views": int(bank_t.shape[0]),
            "distilled": targets_file is not None and targets_file.name == TEACHER_TARGETS, "targets": targets_file.name if targets_file else "labels",
            "initialized_from": str(job.init) if job.init else None, "measured_pace_images_per_s": round(pace, 1),
            "epochs_planned": epochs, "epochs_run": len(history), "best_epoch": best["epoch"],
            "public_test_flip_accuracy": best["val_accuracy"], "seconds": round(time.time() - began, 1),
            "engine": f"PyTorch {torch.__version__}", "machine": platform.node()}
    write_json_atomic(out / f"{job.name}.fit.json", card)
    print(f"{job.name}: {len(history)}/{epochs} epochs, best PublicTest {best['val_accuracy'] * 100:.2f}% "
          f"(epoch {best['epoch']}), {pace:.0f} images/s measured", flush=True)
    return card


def _device_name(device: str) -> str:
    return torch.cuda.get_device_name(device) if device.startswith("cuda") else f"CPU ({platform.processor() or 'cpu'})"


def prepare(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray, work: Path,
            views: int, seed: int, quiet: bool = False, augment: AugmentConfig | None = None) -> None:
    """Write the faces and the view bank to `work` (reused when a bank of the same faces, size,
    seed and augmentation is there). `val_y` is what each member's best epoch is chosen by."""
    work.mkdir(parents=True, exist_ok=True)
    augment = augment or RECIPES["vgg-s"].augment
    key = {"views": views, "seed": seed, "n": len(train_y), "augment": asdict(augment),
           "faces": hashlib.sha1(train_x.tobytes()).hexdigest()[:12]}
    stamp = work / "bank.json"
    np.savez(work / "faces.npz", train_y=train_y, val_x=val_x, val_y=val_y)
    if stamp.exists() and json.loads(stamp.read_text()) == key and (work / "bank.npy").exists():
        return
    np.save(work / "bank.npy", bank.render(train_x, augment, views, seed, quiet=quiet))
    write_json_atomic(stamp, key)


def teacher_targets(teachers: list[Path], work: Path, device: str, distill: Distillation, label_smoothing: float) -> dict:
    """Score the teacher nets on every bank view (each on the view and its mirror image), weight
    them as chosen on PublicTest, and write the students' soft targets to work/targets.npy."""
    data = np.load(work / "faces.npz")
    views = torch.from_numpy(np.load(work / "bank.npy")).to(device)
    precision = resolve_precision("auto", device)
    members = [load_net(t).to(device) for t in teachers]
    val = torch.from_numpy(data["val_x"]).to(device)
    public = [flip_probabilities_on(m, val, precision).cpu().numpy() for m in members]
    weights = best_weights(public, data["val_y"]) if len(members) > 1 else (1.0,)
    mixed_public = sum(w * p for w, p in zip(weights, public))
    probs = np.zeros(tuple(views.shape[:2]) + (7,), np.float32)
    for k in range(views.shape[0]):
        probs[k] = sum(w * flip_probabilities_on(m, views[k], precision) for w, m in zip(weights, members) if w).cpu().numpy()
    targets = np.stack([soft_targets(p, data["train_y"], distill, label_smoothing) for p in probs])
    np.save(work / TEACHER_TARGETS, targets.astype(np.float16))
    return {"teachers": [str(t) for t in teachers], "weights": list(weights), "precision": precision,
            "member_public_test": [float((p.argmax(1) == data["val_y"]).mean()) for p in public],
            "teacher_public_test": float((mixed_public.argmax(1) == data["val_y"]).mean()),
            "distillation": asdict(distill)}


def train_members(members: list[tuple[str, str, int]], work: Path, out: Path, device: str, deadline: float,
                  max_epochs: int, teachers: list[Path] | None = None, distill: Distillation | None = None,
                  mixup: float | None = None, targets: list[Path] | None = None, inits: list[Path] | None = None,
                  lr: float | None = None, augment: AugmentConfig | None = None) -> dict:
    """Train `members` side by side, each in its own process, all written by `deadline` (time.time()).
    `targets` and `inits` (target files, starting weights) go to the members in turn."""
    started = time.time()
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"device": _device_name(device), "budget_s": round(deadline - started, 1), "members": []}
    targets_file = None
    if teachers:
        distill = distill or Distillation(",".join(map(str, teachers)))
        summary["teacher"] = teacher_targets(teachers, work, device, distill, RECIPES[members[0][1]].label_smoothing)
        targets_file = work / TEACHER_TARGETS
        print(f"teacher: PublicTest {summary['teacher']['teacher_public_test'] * 100:.2f}% with weights "
              f"{summary['teacher']['weights']}", flush=True)
    ctx = mp.get_context("spawn")  # CUDA cannot be forked
    start = ctx.Barrier(len(members))
    targets = [targets_file] if targets_file else targets or [None]
    inits = inits or [None]
    jobs = [MemberJob(name, arch, seed, deadline, max_epochs, mixup, targets[i % len(targets)], inits[i % len(inits)], lr, augment)
            for i, (name, arch, seed) in enumerate(members)]
    procs = [ctx.Process(target=_member_main, args=(job, work, out, device, start), name=job.name)
             for job in jobs]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    for job, p in zip(jobs, procs):
        card_path = out / f"{job.name}.fit.json"
        if p.exitcode != 0 or not card_path.exists():
            summary["members"].append({"name": job.name, "failed": f"exit code {p.exitcode}"})
        else:
            summary["members"].append(json.loads(card_path.read_text()))
    summary["seconds"] = round(time.time() - started, 1)
    write_json_atomic(out / "members.json", summary)
    return summary


def _member_main(job, work, out, device, start) -> None:
    torch.set_num_threads(1)
    fit_member(job, work, out, device, start)
