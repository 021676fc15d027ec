#!/usr/bin/env bash
# Choose a training recipe on a validation split of the training video's people, never on
# the held-out set: each variant trains with those people left out (with the still validation
# people), and is scored on their videos as the held-out set is scored:
#   T = teacher agreement on seconds whose mean teacher top is >= 0.6,
#   M = accuracy on the seconds of clips a person labelled (labels.csv `label`, e.g. MEAD's posed
#       label of the clip), S = (T + M) / 2.
#
#   train/choose_recipe.sh DATA VIDEOS OUT            # DATA: the folder `edge-emo label` wrote;
#                                                     # VIDEOS: a folder holding the videos it
#                                                     # labelled, e.g. build/sources
#   VAL_SPLIT=17 train/choose_recipe.sh DATA build/sources OUT
#       # 17 validation people: the 5 above and the 12 of spectre and smirk in
#       # train/labels/validation-people.csv (build/sources/videos-val, from
#       # train/get_sources.sh), labelled into a copy of DATA so that DATA, and a model built
#       # from it, never holds them.
#   VAL_SPLIT=36 train/choose_recipe.sh DATA build/sources OUT
#       # 36 people, the recipe-choosing split since 2026-12-01: the 17 and all 19 more of
#       # validation-people.csv (VoxCeleb2 clips of PC-AVS, EDTalk, IP_LAP, DPE, DaGAN,
#       # headGAN), with the seconds a person labelled by viewing their frames
#       # (train/labels/validation-seconds.csv) added to M.
#   VARIANTS="E3PN1.5 A" train/choose_recipe.sh ...   # only those variants (default: all)
#
# The default model's recipe was chosen with these variants (2026-11-30, the model card's
# tables; V3, V4-V5, then V7-V8 and V4h added after the earlier ones had run, before they
# trained; V7, V8 and V4h were scored on the 17-person split; run one by one with the same
# commands, and this script's set-up and summary re-checked against those runs); about 1.5
# hours on 2 cores. On 2026-12-01 the data grew (the 11 GRID and lip-reading people, as
# train/rebuild_default_model.sh labels them) and P (V4h training all 25 epochs) became the
# default's recipe; those runs, the seed checks (--seed) and a cross-fitted try of the 12
# validation people were made by hand with these settings (the model card's 2026-12-01 table).
# Later on 2026-12-01: E3P (a 3-seed ensemble of P, the default's form now) and A (pool).
# In the afternoon, on another machine: E3PN1.5 again (S36 0.733 here, 0.798 where first
# measured: the same data and command), then with DATA landmarked by the symmetric 478->68
# table (train/rebuild_default_model.sh steps 1-1b) 0.755: that table is the default's now.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?training folder}; videos=${2:?folder of the training videos}; out=${3:?output folder}
people=${VAL_PEOPLE:-vid-mead-W011,vid-furious1,vid-sadgirl,vid-happyenglish,vid-obama}
case ${VAL_SPLIT:-5} in
    5) folders=() ;;
    17) folders=(spectre-mead spectre-lrs3 smirk) ;;
    36) folders=(spectre-mead spectre-lrs3 smirk pcavs/Audio_Source pcavs/Input pcavs/Pose_Source
        edtalk iplap dpe dagan headgan) ;;
    *) echo "VAL_SPLIT must be 5, 17 or 36" >&2; exit 2 ;;
esac
if [ ${#folders[@]} -gt 0 ]; then
    mkdir -p "$out"
    rm -rf "$out/data" && cp -r "$data" "$out/data" && data=$out/data
    edge-emo label "${folders[@]/#/$videos/videos-val/}" --people train/labels/validation-people.csv -o "$data"
    pattern="^($(IFS='|'; echo "${folders[*]}"))/"
    people=$people,$(tail -n +2 train/labels/validation-people.csv | grep -E "$pattern" | cut -d, -f2 | sort -u | paste -sd,)
fi
val="fer-PublicTest-*,ck-S*5,jaffe-NA,tw-*5,$people"
test='fer-PrivateTest-*,ck-S*3,ck-S*8,jaffe-KM,jaffe-TM,tw-*3,tw-*8'
base=(--seed 42 --epochs 25 --roll --stride 3 --clip-std 5 --video-windows 3000
      --min-teacher-confidence 0.5 --clips-per-epoch 12000 --crops-per-clip 1 --batch-size 64)
declare -A variants=(
    [V0]=""
    [V1]="--video-windows 6000"
    [V2]="--min-teacher-confidence 0.6"
    [V3]="--video-windows 12000"
    [V4]="--video-windows 6000 --window 30"
    [V5]="--video-windows 6000 --window 60"
    [V7]="--video-windows 6000 --window 30 --talk 0.5"
    [V8]="--video-windows 6000 --window 30 --min-teacher-confidence 0.6"
    [V4h]="--video-windows 6000 --window 30 --hop 15"  # V4's weights; windows every 15 frames
    [P]="--video-windows 6000 --window 30 --hop 15 --patience 25"  # V4h, no early stop in 25 epochs
    # P's seeds 42, 43, 44 averaged in one model (the default's form since 2026-12-01 03:40;
    # chosen as the mean of the three seeds' timelines, each with its own standardisation)
    [E3P]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3"
    [A]="--video-windows 6000 --window 30 --hop 15 --patience 25 --arch pool"  # mean shape + MLP
    # E3P converted with a neutral prior (convert --class-prior, after `|`); the same training
    # runs once for all of them (split 36, 2026-12-01: w 1.5 adopted for the default)
    [E3PN1.5]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5"
    [E3PN2]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=2"
    [E3PN3]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=3"
    # and a happiness weight on top of neutral 1.5 (split 36, 2026-12-01 09:58: none adopted)
    [E3PN1.5H1.5]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --class-prior happiness=1.5"
    [E3PN1.5H2]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --class-prior happiness=2"
    [E3PN1.5H3]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --class-prior happiness=3"
    # distillation on the labelled stills too (split 36, 2026-12-01 10:11: not adopted)
    [E3PKD]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --teacher-mix 0.3 | --class-prior neutral=1.5"
    # all 40 epochs (split 36, 2026-12-01 10:37: not used)
    [E3P40]="--video-windows 6000 --window 30 --hop 15 --epochs 40 --patience 40 --ensemble 3 | --class-prior neutral=1.5"
    # head yaw and pitch removed too (split 36, 2026-12-01 11:41: not kept)
    [E3PF]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --frontalise | --class-prior neutral=1.5"
    # four networks instead of three (split 36, 2026-12-01 13:12: not used)
    [E4P]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 4 | --class-prior neutral=1.5"
    # half the windows mirrored, with the symmetric 478->68 table (split 36, 2026-12-01 16:48)
    [E3PN1.5M]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --mirror 0.5 | --class-prior neutral=1.5"
    # half the held stills given real relaxed talking motion (train/motion.py; split 36, 16:57)
    [E3PN1.5R]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --real-talk 0.5 | --class-prior neutral=1.5"
    # half the windows given another person's resting shape (train/motion.py; split 36, 2026-12-01 19:09: not kept)
    [E3PN1.5I]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --identity 0.5 | --class-prior neutral=1.5"
    # every still moved to the video's face shape (train/align.py; split 36, 2026-12-01 21:20)
    [E3PN1.5A]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --align-stills | --class-prior neutral=1.5"
    # each network the mean of its last 10 epochs' weights (SWA; split 36, 2026-12-02 00:13: not kept)
    [E3PN1.5W]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --average-epochs 10 | --class-prior neutral=1.5"
    # unsure teacher windows taught mostly neutral instead of left out (split 36, 2026-12-02 00:45: not kept)
    [E3PN1.5U]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 --unsure-neutral 0.5 | --class-prior neutral=1.5"
    # a reject option on top: a second whose top class is under T reads neutral (2026-12-02,
    # measured on SYM's timelines with no retraining: T 0.4 adopted, S36 0.804; 0.3 and 0.5 not)
    [E3PN1.5T0.3]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --reject-below 0.3"
    [E3PN1.5T0.4]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --reject-below 0.4"
    [E3PN1.5T0.5]="--video-windows 6000 --window 30 --hop 15 --patience 25 --ensemble 3 | --class-prior neutral=1.5 --reject-below 0.5"
    # (2026-12-02, data not options: E3PN1.5T0.4 on a DATA with the Taiwanese performers'
    # taiwan.stills.npz added, S36 0.780: trained on; their tw-* people split as CK+'s above)
)

# The validation people's videos, their teacher labels, and the seconds a person labelled.
mkdir -p "$out/val-videos" "$out/val-labelled/clips"
python - "$data" "$videos" "$out" "$people" "${VAL_SPLIT:-5}" <<'PY'
import csv, sys
from pathlib import Path
from edge_emo.train.heldout import teacher_seconds
data, videos, out, people = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].split(",")
viewed = {}  # split 36: seconds a person labelled by viewing frames, by the video's real path
if sys.argv[5] == "36":
    for r in csv.DictReader(open("train/labels/validation-seconds.csv")):
        viewed.setdefault((videos / "videos-val" / r["video"]).resolve(), []).append(r)
rows = [r for r in csv.DictReader(open(data / "labels.csv")) if r["subject"] in people and r.get("soft")]
seconds = [("video", "second", "label", "note")]
for row in rows:
    stem = Path(row["file"]).stem
    video = Path(row["video"]) if row.get("video") else next(  # folders labelled before `video`
        (p for p in sorted(videos.rglob(f"{stem}.*")) if p.suffix != ".csv"), None)
    if video is None:
        sys.exit(f"no video for {stem} under {videos}")
    for link, target in ((out / "val-videos" / f"{stem}{video.suffix}", video),  # the clip's name
                         (out / "val-labelled" / "clips" / f"{stem}.teacher.csv", data / row["soft"])):
        link.unlink(missing_ok=True)
        link.symlink_to(target.resolve())
    if row["label"]:
        for t in sorted(teacher_seconds(data / row["soft"])):
            seconds.append((stem, t, row["label"], "the clip's label in labels.csv"))
    for r in viewed.pop(video.resolve(), []):
        seconds.append((stem, r["second"], r["label"], "viewed: validation-seconds.csv"))
if viewed:
    sys.exit(f"labelled seconds of videos that were not labelled: {sorted(map(str, viewed))}")
with open(out / "val-seconds.csv", "w", newline="") as f:
    csv.writer(f).writerows(seconds)
print(f"validation: {len(rows)} videos of {len(set(people))} people, {len(seconds) - 1} labelled seconds")
PY

[ -z "${SETUP_ONLY:-}" ] || exit 0  # SETUP_ONLY=1: the split only, to score other models on
read -ra chosen <<<"${VARIANTS:-${!variants[*]}}"  # VARIANTS="E3PN1.5 A": only those
for name in "${chosen[@]}"; do
    [ -n "${variants[$name]+set}" ] || { echo "no variant $name" >&2; exit 2; }
    work=$out/$name; mkdir -p "$work"
    spec=${variants[$name]}  # training options, then optionally `|` and convert options
    convert_part=""; [[ $spec == *"|"* ]] && convert_part=${spec#*|}
    read -ra train_args <<<"${spec%%|*}"; read -ra convert_args <<<"$convert_part"
    # variants that train alike share one trained model
    trained=$out/trained/$(md5sum <<<"${train_args[*]}" | cut -c1-12); mkdir -p "$trained"
    if [ ! -f "$trained/model.keras" ]; then
        edge-emo train "$data" -o "$trained/model.keras" "${base[@]}" "${train_args[@]}" \
            --val-subjects "$val" --test-subjects "$test" > "$trained/train.log" 2>&1
    fi
    edge-emo convert "$trained/model.keras" --data "$data" --quant dynamic -o "$work/model.tflite" \
        "${convert_args[@]}" > "$work/convert.log" 2>&1
    edge-emo run "$out/val-videos" -m "$work/model.tflite" -o "$work/timelines" --overwrite -q
    python -m edge_emo.train.heldout "$work/timelines" "$out/val-labelled" \
        --seconds "$out/val-seconds.csv" -o "$work/report" --model-name "$name" > "$work/score.txt"
done
python - "$out" "${chosen[@]}" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("| variant | T | M | S |\n|---|---|---|---|")
for name in sorted(sys.argv[2:]):
    r = json.loads((out / name / "report" / "heldout-video.json").read_text())
    t, m = r["teacher"]["accuracy"], r["person"]["accuracy"]
    print(f"| {name} | {t:.3f} ({r['teacher']['n']} s) | {m:.3f} ({r['person']['n']} s) | {(t + m) / 2:.3f} |")
PY
